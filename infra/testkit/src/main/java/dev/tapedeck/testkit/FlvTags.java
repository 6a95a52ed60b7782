package dev.tapedeck.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;

/**
 * FLV files taken apart tag by tag and put together again with other timestamps: how a publisher's faults (a
 * restart, a jump, the 32-bit wrap) are made, since no muxer writes them on purpose.
 */
public final class FlvTags {
    public static final int AUDIO = 8;
    public static final int VIDEO = 9;

    public record Tag(int type, long timestamp, byte[] data) {
        /** Whether this is an H.264 keyframe's picture (not a sequence header). */
        public boolean avcKeyframe() {
            return type == VIDEO && data.length > 4 && (data[0] >> 4 & 0x0f) == 1 && data[1] == 1;
        }

        /**
         * An H.264 picture's composition time (its PTS minus its DTS, in ms: what B-frames delay it by); 0 for any
         * other tag.
         */
        public int compositionTime() {
            if (type != VIDEO || data.length < 5 || (data[0] & 0x0f) != 7 || data[1] != 1) {
                return 0;
            }
            return data[2] << 16 | (data[3] & 0xff) << 8 | data[4] & 0xff; // signed 24 bits: data[2] carries the sign
        }
    }

    private FlvTags() {
    }

    public static List<Tag> read(Path flv) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(flv));
        b.position(b.get(5) == 0 ? 9 : (b.getInt(5)));
        b.getInt(); // PreviousTagSize0
        List<Tag> tags = new ArrayList<>();
        while (b.remaining() >= 15) {
            int type = b.get() & 0x1f;
            int size = ((b.get() & 0xff) << 16) | ((b.get() & 0xff) << 8) | (b.get() & 0xff);
            long ts = ((b.get() & 0xffL) << 16) | ((b.get() & 0xffL) << 8) | (b.get() & 0xffL) | ((b.get() & 0xffL) << 24);
            b.position(b.position() + 3);
            byte[] data = new byte[size];
            b.get(data);
            b.getInt();
            tags.add(new Tag(type, ts, data));
        }
        return tags;
    }

    /**
     * A stream that changes resolution mid-way: {@code first} then {@code second} (their own sequence headers
     * included), the second's timestamps continuing the first's.
     */
    public static void concatenate(Path first, Path second, Path out) throws IOException {
        List<Tag> a = media(read(first), t -> t);
        long shift = a.stream().mapToLong(Tag::timestamp).max().orElseThrow() + 33;
        List<Tag> tags = new ArrayList<>(a);
        tags.addAll(media(read(second), t -> t + shift));
        write(out, tags);
    }

    /** Audio and video tags only (no script data), with their timestamps mapped. */
    public static List<Tag> media(List<Tag> tags, LongUnaryOperator ts) {
        return tags.stream().filter(t -> t.type() == AUDIO || t.type() == VIDEO)
                .map(t -> new Tag(t.type(), ts.applyAsLong(t.timestamp()) & 0xffffffffL, t.data())).toList();
    }

    public static void write(Path flv, List<Tag> tags) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0});
        for (Tag t : tags) {
            int size = t.data().length;
            out.write(t.type());
            out.write(size >> 16);
            out.write(size >> 8);
            out.write(size);
            out.write((int) (t.timestamp() >> 16));
            out.write((int) (t.timestamp() >> 8));
            out.write((int) t.timestamp());
            out.write((int) (t.timestamp() >> 24));
            out.write(new byte[] {0, 0, 0});
            out.write(t.data());
            int prev = size + 11;
            out.write(new byte[] {(byte) (prev >> 24), (byte) (prev >> 16), (byte) (prev >> 8), (byte) prev});
        }
        Files.write(flv, out.toByteArray());
    }
}
