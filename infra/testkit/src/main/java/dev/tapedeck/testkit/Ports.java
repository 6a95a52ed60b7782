package dev.tapedeck.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/** Free local ports, and waiting for one to accept connections. */
public final class Ports {
    private Ports() {
    }

    /** Ports handed out by this JVM: the system may offer a released port again before its first taker binds it. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port nothing listens on right now, and never handed out before by this JVM (a stack picks several ports
     * before it starts the servers that bind them: two of them must not get the same one).
     */
    public static int free() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                s.setReuseAddress(true);
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** True when something accepts connections on the port. */
    public static boolean isOpen(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 250);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until the port accepts connections, or throws after {@code timeout}. */
    public static void awaitOpen(String host, int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isOpen(host, port)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(host + ":" + port + " did not open within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }
}
