package dev.tapedeck.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child processes in sessions of their own. A terminal's Ctrl-C sends SIGINT to its whole foreground process group:
 * children in that group would exit at the same moment as the process that supervises them, which would take their
 * exit for a crash and restart them while it is itself stopping. A child in its own session (util-linux {@code setsid},
 * which execs in place, so the process started is the child itself and signals sent to it reach it) hears only what its
 * parent sends it, and the parent stops its children in order.
 */
public final class Sessions {
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private Sessions() {
    }

    /** {@code command} run in a session of its own where {@code setsid} exists; as is otherwise. */
    public static List<String> own(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> all = new ArrayList<>(command.size() + 1);
        all.add(SETSID.toString());
        all.addAll(command);
        return all;
    }
}
