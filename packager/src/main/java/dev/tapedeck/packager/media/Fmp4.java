package dev.tapedeck.packager.media;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/** Top-level boxes of a fragmented MP4 file written by FFmpeg's mp4 muxer. */
final class Fmp4 {
    private Fmp4() {
    }

    /**
     * Moves the initialization section ({@code ftyp}, {@code moov}) of {@code file} to {@code {name}.init.mp4} beside it
     * and leaves the media section ({@code moof}, {@code mdat} … ) in {@code file}; any {@code mfra} index (its offsets
     * would be wrong) is dropped. Returns the init file.
     */
    static Path splitInit(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        ByteArrayOutputStream init = new ByteArrayOutputStream();
        ByteArrayOutputStream media = new ByteArrayOutputStream();
        while (b.remaining() >= 8) {
            int start = b.position();
            long size = b.getInt() & 0xffffffffL;
            String type = new String(new byte[] {b.get(), b.get(), b.get(), b.get()}, java.nio.charset.StandardCharsets.US_ASCII);
            if (size == 1) {
                size = b.getLong();
            } else if (size == 0) {
                size = b.limit() - start;
            }
            if (size < 8 || start + size > b.limit()) {
                throw new IOException("not a complete MP4 box at byte " + start + " of " + file.getFileName() + " (" + type + ")");
            }
            ByteArrayOutputStream to = switch (type) {
                case "ftyp", "moov" -> init;
                case "mfra" -> null;
                default -> media;
            };
            if (to != null) {
                to.write(b.array(), start, (int) size);
            }
            b.position((int) (start + size));
        }
        if (init.size() == 0) {
            throw new IOException(file.getFileName() + " has no moov box");
        }
        String name = file.getFileName().toString();
        Path initFile = file.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".init.mp4");
        Files.write(initFile, init.toByteArray());
        Files.write(file, media.toByteArray());
        return initFile;
    }
}
