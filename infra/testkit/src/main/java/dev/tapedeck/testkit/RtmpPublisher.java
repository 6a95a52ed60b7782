package dev.tapedeck.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * A publisher that sends FLV tags over RTMP exactly as they are, timestamps included: what an encoder that restarts,
 * jumps or runs past the 32-bit wrap sends. FFmpeg's muxer corrects such timestamps before they leave, so tests of
 * those faults through a media server need this. It speaks the plain handshake, AMF0 {@code connect},
 * {@code createStream} and {@code publish}, and sends every message with a full (type 0) chunk header, the
 * timestamp absolute (extended beyond 0xFFFFFF).
 */
public final class RtmpPublisher implements AutoCloseable {
    /** Chunk size announced to the server: every media message fits one chunk. */
    private static final int CHUNK = 1 << 20;
    private static final int HANDSHAKE = 1536;

    private final Socket socket;
    private final DataOutputStream out;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final Thread reader;
    private volatile boolean closedByServer;

    private RtmpPublisher(Socket socket) throws IOException {
        this.socket = socket;
        this.out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
        this.reader = new Thread(this::read, "rtmp-publisher-reader");
        this.reader.setDaemon(true);
    }

    /**
     * Connects to {@code url} ({@code rtmp://host:port/app/stream?query}) and publishes; returns once the server said
     * {@code NetStream.Publish.Start}.
     *
     * @throws IOException when the server refused or closed the connection, or did not answer within {@code timeout}
     */
    public static RtmpPublisher open(String url, Duration timeout) throws IOException, InterruptedException {
        URI uri = URI.create(url);
        String path = uri.getRawPath().substring(1);
        int slash = path.indexOf('/');
        String app = path.substring(0, slash);
        String name = path.substring(slash + 1) + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Socket socket = new Socket(uri.getHost(), uri.getPort() < 0 ? 1935 : uri.getPort());
        socket.setTcpNoDelay(true);
        RtmpPublisher p = new RtmpPublisher(socket);
        try {
            p.handshake();
            p.reader.start();
            long deadline = System.nanoTime() + timeout.toNanos();
            p.message(2, 1, 0, 0, new byte[] {(byte) (CHUNK >>> 24), (byte) (CHUNK >>> 16), (byte) (CHUNK >>> 8), (byte) CHUNK});
            p.message(3, 20, 0, 0, new Amf().string("connect").number(1).object("app", app, "type", "nonprivate", "flashVer",
                    "FMLE/3.0 (compatible; tapedeck-test)", "tcUrl", "rtmp://" + uri.getHost() + ":" + uri.getPort() + "/" + app).bytes());
            p.out.flush();
            p.await("NetConnection.Connect.Success", 1, deadline);
            p.message(3, 20, 0, 0, new Amf().string("createStream").number(2).nul().bytes());
            p.out.flush();
            p.await("_result", 2, deadline);
            p.message(8, 20, 1, 0, new Amf().string("publish").number(0).nul().string(name).string("live").bytes());
            p.out.flush();
            p.await("NetStream.Publish.Start", 1, deadline);
            return p;
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /**
     * Sends the tags in real time: each waits for the media time before it, counted from the tag stream's own steps
     * (a step back, or forward by more than a second, is a fault of the stream and takes no time).
     */
    public void send(List<FlvTags.Tag> tags) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long media = 0;
        long last = -1;
        for (FlvTags.Tag t : tags) {
            if (last >= 0) {
                long step = t.timestamp() - last;
                if (step >= 0 && step <= 1000) {
                    media += step;
                    last = t.timestamp();
                } else if (step < -1000 || step > 1000) {
                    last = t.timestamp();
                }
            } else {
                last = t.timestamp();
            }
            long wait = start + media * 1_000_000 - System.nanoTime();
            if (wait > 0) {
                out.flush();
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            if (closedByServer) {
                throw new IOException("the server closed the connection");
            }
            message(t.type() == FlvTags.AUDIO ? 4 : 6, t.type(), 1, t.timestamp(), t.data());
        }
        out.flush();
    }

    /** What the server sent so far, as text (AMF strings readable in it). */
    public String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private void handshake() throws IOException {
        byte[] c1 = new byte[HANDSHAKE];
        new Random().nextBytes(c1);
        for (int i = 0; i < 8; i++) {
            c1[i] = 0; // time, then zero: the plain handshake
        }
        out.write(3);
        out.write(c1);
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] s0s1 = in.readNBytes(1 + HANDSHAKE);
        byte[] s2 = in.readNBytes(HANDSHAKE);
        if (s0s1.length < 1 + HANDSHAKE || s2.length < HANDSHAKE) {
            throw new IOException("the server ended the handshake");
        }
        out.write(s0s1, 1, HANDSHAKE);
        out.flush();
    }

    /** One message in one chunk with a type 0 header on chunk stream {@code csid}. */
    private void message(int csid, int type, int streamId, long timestamp, byte[] payload) throws IOException {
        if (payload.length > CHUNK) {
            throw new IllegalArgumentException("a message over " + CHUNK + " bytes");
        }
        boolean extended = timestamp >= 0xFFFFFF;
        out.write(csid);
        int ts = extended ? 0xFFFFFF : (int) timestamp;
        out.write(ts >>> 16);
        out.write(ts >>> 8);
        out.write(ts);
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(streamId);
        out.write(streamId >>> 8);
        out.write(streamId >>> 16);
        out.write(streamId >>> 24);
        if (extended) {
            out.writeInt((int) timestamp);
        }
        out.write(payload);
    }

    private void read() {
        byte[] buf = new byte[8192];
        try {
            InputStream in = socket.getInputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (received) {
                    received.write(buf, 0, n);
                    received.notifyAll();
                }
            }
        } catch (IOException e) {
            // closed
        } finally {
            closedByServer = true;
            synchronized (received) {
                received.notifyAll();
            }
        }
    }

    private void await(String text, int times, long deadline) throws IOException, InterruptedException {
        synchronized (received) {
            while (count(received(), text) < times) {
                if (closedByServer) {
                    throw new IOException("the server closed the connection before " + text + ": " + printable(received()));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no " + text + " from the server: " + printable(received()));
                }
                received.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private static int count(String s, String text) {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]+", " ").strip();
    }

    /** AMF0 values, as the commands need them. */
    private static final class Amf {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();
        private final DataOutputStream d = new DataOutputStream(b);

        Amf string(String s) throws IOException {
            d.write(2);
            utf(s);
            return this;
        }

        Amf number(double v) throws IOException {
            d.write(0);
            d.writeDouble(v);
            return this;
        }

        Amf nul() throws IOException {
            d.write(5);
            return this;
        }

        /** An object of string properties: name, value, name, value … */
        Amf object(String... nameValues) throws IOException {
            d.write(3);
            for (int i = 0; i < nameValues.length; i += 2) {
                utf(nameValues[i]);
                d.write(2);
                utf(nameValues[i + 1]);
            }
            d.write(new byte[] {0, 0, 9});
            return this;
        }

        private void utf(String s) throws IOException {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            d.writeShort(bytes.length);
            d.write(bytes);
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
