package dev.tapedeck.recorder.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_NEW_EXTRADATA;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free_side_data;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_get_side_data;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_q;

import dev.tapedeck.contract.CutGrid;
import dev.tapedeck.contract.TimestampRebaser;
import dev.tapedeck.contract.event.SliceMedia;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.jboss.logging.Logger;

/**
 * Pulls one stream and writes it, packet for packet and without decoding, into FLV slices cut by
 * {@link CutGrid} (the first keyframe at or after each multiple of the slice length). Every slice is a complete FLV (header, metadata, sequence headers) that plays on
 * its own; timestamps stay in stream time, so consecutive slices continue each other.
 */
public final class FlvSlicer implements MediaPull {
    private static final Logger LOG = Logger.getLogger(FlvSlicer.class);

    static {
        FFmpegLogCallback.setLevel(org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
        FFmpegLogCallback.set();
    }

    private final String input;
    private final Map<String, String> inputOptions;
    private final Path spoolDir;
    private final long sliceMillis;
    private final long firstSeq;
    private final long jumpMillis;
    private final long maxSliceMillis;
    private final long maxSliceBytes;
    /** Where slices begun from now on are written, and how much higher they are numbered ({@link #retarget}). */
    private volatile Target target;
    private volatile boolean cutRequested;

    private record Target(Path dir, long shift) {
    }

    /**
     * @param input        {@code rtmp://127.0.0.1:1935/live/demo} or a file
     * @param inputOptions FFmpeg demuxer/protocol options
     * @param spoolDir     where slice files are written
     * @param sliceMillis  slice length in stream time
     * @param firstSeq     sequence number of the first slice
     */
    public FlvSlicer(String input, Map<String, String> inputOptions, Path spoolDir, long sliceMillis, long firstSeq) {
        this(input, inputOptions, spoolDir, sliceMillis, firstSeq, DEFAULT_JUMP_MILLIS, 2 * sliceMillis, 1L << 30);
    }

    /** Default threshold of a forward timestamp jump. */
    public static final long DEFAULT_JUMP_MILLIS = 10_000;

    /**
     * @param jumpMillis     a DTS step forward larger than this is a fault (corrected, and a new slice begins)
     * @param maxSliceMillis a slice longer than this (rare keyframes) is cut at the next keyframe, off the grid
     * @param maxSliceBytes  as is a slice larger than this
     */
    public FlvSlicer(String input, Map<String, String> inputOptions, Path spoolDir, long sliceMillis, long firstSeq, long jumpMillis,
            long maxSliceMillis, long maxSliceBytes) {
        this.jumpMillis = jumpMillis;
        this.maxSliceMillis = maxSliceMillis;
        this.maxSliceBytes = maxSliceBytes;
        this.input = input;
        this.inputOptions = inputOptions;
        this.spoolDir = spoolDir;
        this.target = new Target(spoolDir, 0);
        this.sliceMillis = sliceMillis;
        this.firstSeq = firstSeq;
    }

    /** The first slice begins at the first keyframe at or after this DTS (ms); packets before it are skipped. */
    private long startAtMillis = Long.MIN_VALUE;

    /** Skips every packet before the first keyframe at or after {@code dtsMillis}: a slice of the input from there. */
    public FlvSlicer startingAt(long dtsMillis) {
        this.startAtMillis = dtsMillis;
        return this;
    }

    /**
     * Reads until the end of input or until {@code control} ends it; every slice started is finished and handed on.
     * {@code control} is asked between packets and while a read waits, so it ends the pull at once even when no
     * packet comes.
     */
    @Override
    public void retarget(Path dir, long shift) {
        target = new Target(dir, shift);
    }

    @Override
    public void cutAtNextKeyframe() {
        cutRequested = true;
    }

    /** Begins a slice where {@link #target} says and tells the listener. */
    private Slice open(long seq, Demuxer demuxer, long firstDts, String cause, SliceListener listener) throws IOException {
        Target t = target;
        Files.createDirectories(t.dir());
        Slice slice = Slice.open(t.dir(), seq + t.shift(), demuxer, firstDts, cause);
        listener.sliceOpened(slice.seq, firstDts);
        return slice;
    }

    @Override
    public StreamEnd run(SliceListener listener, PullControl control) throws IOException {
        Files.createDirectories(spoolDir);
        // Written by the pull thread, read by the interrupt ticker's too.
        java.util.concurrent.atomic.AtomicLong lastPacket = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);
        java.util.concurrent.atomic.AtomicReference<StreamEnd> asked = new java.util.concurrent.atomic.AtomicReference<>();
        BooleanSupplier interrupted = () -> {
            if (asked.get() == null) {
                StreamEnd end = control.check(lastPacket.get());
                if (end != null) {
                    asked.compareAndSet(null, end);
                }
            }
            return asked.get() != null;
        };
        try (Demuxer demuxer = Demuxer.open(input, inputOptions, interrupted)) {
            AVFormatContext in = demuxer.context();
            boolean hasVideo = demuxer.hasVideo();
            CutGrid policy = new CutGrid(sliceMillis);
            TimestampRebaser rebaser = new TimestampRebaser(jumpMillis);
            StreamInfo[] streams = StreamInfo.of(in);
            Slice current = null;
            // The slice before an on-grid cut, still open for the audio shown before the cut's keyframe: with B-frames
            // the keyframe is read (in decode order) before audio it is shown after. Every rendition, whatever its
            // decode delay, then splits its audio at the same presentation time, so a rung's slices and the source's
            // (which stand in for the rung's holes) follow each other without audio twice or missing.
            Closing closing = null;
            long seq = firstSeq;
            boolean started = false;
            // A timestamp fault or a codec change waiting for the next cut point to start a new slice.
            String pendingCut = null;
            Map<TimestampRebaser.Fault, Integer> faultsInSlice = new java.util.EnumMap<>(TimestampRebaser.Fault.class);
            try {
                while (!interrupted.getAsBoolean()) {
                    AVPacket pkt = demuxer.read();
                    if (pkt == null) {
                        if (asked.get() == null) {
                            LOG.debugf("input ended: %s", demuxer.lastError());
                        }
                        break;
                    }
                    lastPacket.set(System.nanoTime());
                    int index = pkt.stream_index();
                    if (index >= streams.length) {
                        streams = StreamInfo.of(in);
                    }
                    StreamInfo info = streams[index];
                    AVStream stream = info.stream;
                    int type = info.type;
                    if (type != AVMEDIA_TYPE_VIDEO && type != AVMEDIA_TYPE_AUDIO) {
                        continue;
                    }
                    if ((pkt.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
                        // A truncated packet (the end of a file a crash cut short) would not decode.
                        LOG.debugf("dropping a corrupt %d-byte packet", pkt.size());
                        continue;
                    }
                    long ts = pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() : pkt.pts();
                    if (ts == AV_NOPTS_VALUE) {
                        continue;
                    }
                    boolean key = type == AVMEDIA_TYPE_VIDEO ? (pkt.flags() & AV_PKT_FLAG_KEY) != 0 : !hasVideo;
                    if (!started) {
                        // A slice must start with something decodable: skip to the first keyframe (at or after the
                        // asked start, if any).
                        if (!key || info.millis(ts) < startAtMillis) {
                            continue;
                        }
                        started = true;
                    }
                    TimestampRebaser.Rebased r = rebaser.rebase(index, info.millis(ts));
                    if (r.offsetMillis() != 0) {
                        long shift = av_rescale_q(r.offsetMillis(), MILLIS, stream.time_base());
                        pkt.dts(pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() + shift : AV_NOPTS_VALUE);
                        pkt.pts(pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() + shift : AV_NOPTS_VALUE);
                    }
                    if (r.fault() != null) {
                        faultsInSlice.merge(r.fault(), 1, Integer::sum);
                        if (r.fault() != TimestampRebaser.Fault.WRAP) {
                            LOG.warnf("timestamp %s at %d ms (stream %d): continuing at %d ms in a new slice", r.fault(),
                                    info.millis(ts), index, r.dtsMillis());
                            pendingCut = pendingCut != null ? pendingCut : "TIMESTAMP_" + r.fault();
                        }
                    }
                    if (cutRequested) {
                        cutRequested = false;
                        pendingCut = pendingCut != null ? pendingCut : "TAKEOVER";
                    }
                    if (newCodecParameters(pkt, stream)) {
                        LOG.warnf("new %s sequence header at %d ms: a new slice begins with it", type == AVMEDIA_TYPE_VIDEO ? "video" : "audio",
                                r.dtsMillis());
                        pendingCut = pendingCut != null ? pendingCut : "CODEC_CHANGE";
                    }
                    long dtsMillis = r.dtsMillis();
                    long endMillis = dtsMillis + Math.max(0, info.millis(pkt.duration()));
                    long cutTime = key && pkt.pts() != AV_NOPTS_VALUE ? info.millis(pkt.pts()) : dtsMillis;
                    if (closing != null) {
                        long shown = pkt.pts() != AV_NOPTS_VALUE ? info.millis(pkt.pts()) : dtsMillis;
                        if (type == AVMEDIA_TYPE_AUDIO && shown < closing.cutPts) {
                            closing.slice.write(pkt, dtsMillis, endMillis, false, false);
                            continue;
                        }
                        if (type == AVMEDIA_TYPE_AUDIO || dtsMillis >= closing.cutPts + HOLD_MILLIS) {
                            Closing done = closing;
                            closing = null; // finished once, whatever happens there
                            listener.sliceFinished(done.finish());
                        }
                    }
                    if (current == null) {
                        policy.cutBefore(cutTime, key);
                        current = open(seq++, demuxer, dtsMillis, null, listener);
                        pendingCut = null;
                    } else {
                        // Where a new slice begins: at the first cut point after a fault or a codec change (off the
                        // grid, marked), on the grid, or off it when keyframes are too rare for the maximum.
                        boolean offGrid = false;
                        String cause = null;
                        boolean cut;
                        if (pendingCut != null && key) {
                            cut = true;
                            offGrid = true;
                            cause = pendingCut;
                        } else if (policy.cutBefore(cutTime, key)) {
                            cut = true;
                        } else if (key && (dtsMillis - current.firstDts >= maxSliceMillis || current.bytes >= maxSliceBytes)) {
                            LOG.warnf("slice %d reached %d ms and %d bytes (maximum %d ms, %d bytes): cut at the next keyframe, off the grid",
                                    current.seq, dtsMillis - current.firstDts, current.bytes, maxSliceMillis, maxSliceBytes);
                            current.oversize = true;
                            cut = true;
                            offGrid = true;
                        } else {
                            cut = false;
                        }
                        if (cut) {
                            if (closing != null) {
                                Closing done = closing;
                                closing = null;
                                listener.sliceFinished(done.finish());
                            }
                            if (cause == null && demuxer.hasAudio() && cutTime > dtsMillis) {
                                closing = new Closing(current, dtsMillis, new java.util.EnumMap<>(faultsInSlice), cutTime);
                            } else {
                                listener.sliceFinished(current.close(dtsMillis, faultsInSlice));
                            }
                            faultsInSlice.clear();
                            if (offGrid) {
                                policy = new CutGrid(sliceMillis);
                                policy.cutBefore(cutTime, key);
                            }
                            current = open(seq++, demuxer, dtsMillis, cause, listener);
                        }
                        if (cause != null) {
                            pendingCut = null;
                            // The new slice's header carries the new sequence header; none is repeated inside it.
                            av_packet_free_side_data(pkt);
                        }
                    }
                    current.write(pkt, dtsMillis, endMillis, key && type == AVMEDIA_TYPE_VIDEO, type == AVMEDIA_TYPE_VIDEO);
                }
            } finally {
                try {
                    if (closing != null) {
                        Closing done = closing;
                        closing = null;
                        listener.sliceFinished(done.finish());
                    }
                } finally {
                    if (current != null) {
                        listener.sliceFinished(current.close(-1, faultsInSlice));
                    }
                }
            }
            return asked.get() != null ? asked.get() : StreamEnd.END_OF_INPUT;
        } catch (IOException e) {
            if (asked.get() != null) {
                // Told to end while the input was still opening (no publisher yet, a silent server).
                return asked.get();
            }
            throw e;
        }
    }

    private static final AVRational MILLIS = av_make_q(1, 1000);

    /**
     * How far past a cut's keyframe (in decode time) the slice before it waits for audio shown before that keyframe; a
     * stream whose audio stops is not held longer.
     */
    static final long HOLD_MILLIS = 1000;

    /** A slice whose successor has begun and that still takes the audio shown before the successor's first keyframe. */
    private record Closing(Slice slice, long nextDts, Map<TimestampRebaser.Fault, Integer> faults, long cutPts) {
        SliceFile finish() throws IOException {
            return slice.close(nextDts, faults);
        }
    }

    /**
     * Whether the packet carries a sequence header unlike its stream's (a new SPS/PPS, a resolution change): it is
     * then the stream's, so the next slice's header carries it.
     */
    static boolean newCodecParameters(AVPacket pkt, AVStream stream) {
        if (pkt.side_data_elems() == 0) {
            return false;
        }
        SizeTPointer size = new SizeTPointer(1);
        BytePointer data = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, size);
        if (data == null || data.isNull() || size.get() <= 0) {
            return false;
        }
        int n = (int) size.get();
        byte[] fresh = new byte[n];
        data.get(fresh);
        AVCodecParameters par = stream.codecpar();
        byte[] old = new byte[Math.max(0, par.extradata_size())];
        if (old.length > 0) {
            par.extradata().get(old);
        }
        if (java.util.Arrays.equals(old, fresh)) {
            return false;
        }
        BytePointer copy = new BytePointer(av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE)).capacity(n);
        copy.put(fresh);
        if (par.extradata() != null && !par.extradata().isNull()) {
            av_free(par.extradata());
        }
        par.extradata(copy);
        par.extradata_size(n);
        if (par.codec_id() == AV_CODEC_ID_H264) {
            AvcConfig avc = AvcConfig.parse(fresh);
            if (avc != null) {
                par.width(avc.width());
                par.height(avc.height());
            }
        }
        return true;
    }

    /**
     * What the loop needs of a stream, read once: every JavaCPP accessor call allocates, and this runs for every packet
     * of every recorded stream.
     */
    private record StreamInfo(AVStream stream, int type, long num, long den) {
        static StreamInfo[] of(AVFormatContext in) {
            StreamInfo[] all = new StreamInfo[in.nb_streams()];
            for (int i = 0; i < all.length; i++) {
                AVStream s = in.streams(i);
                AVRational tb = s.time_base();
                all[i] = new StreamInfo(s, s.codecpar().codec_type(), tb.num(), tb.den());
            }
            return all;
        }

        long millis(long ts) {
            return ts * 1000L * num / den;
        }
    }

    static long millis(long ts, AVRational tb) {
        return ts * 1000L * tb.num() / tb.den();
    }

    /** One slice being written. */
    private static final class Slice {
        final long seq;
        final Path file;
        final FlvFile out;
        final long firstDts;
        final String discontinuity;
        final java.time.Instant startedAt = java.time.Instant.now();
        int width;
        int height;
        String videoCodec;
        String audioCodec;
        int videoPackets;
        int audioPackets;
        long bytes;
        boolean oversize;
        long lastDts;
        long endMillis;
        int keyframes;

        private Slice(long seq, Path file, FlvFile out, long firstDts, String discontinuity) {
            this.discontinuity = discontinuity;
            this.seq = seq;
            this.file = file;
            this.out = out;
            this.firstDts = firstDts;
            this.lastDts = firstDts;
            this.endMillis = firstDts;
        }

        static Slice open(Path dir, long seq, Demuxer in, long firstDts, String discontinuity) throws IOException {
            // ".part" until the spool takes the finished file: a file with this name was never completed.
            Path file = dir.resolve(SliceFile.partName(seq));
            org.bytedeco.ffmpeg.avcodec.AVCodecParameters video = in.first(AVMEDIA_TYPE_VIDEO);
            // Copies the input's codec parameters (with the sequence headers) into this file's header.
            Slice slice = new Slice(seq, file, FlvFile.create(file, in.context()), firstDts, discontinuity);
            if (video != null) {
                slice.width = video.width();
                slice.height = video.height();
                byte[] extradata = new byte[Math.max(0, video.extradata_size())];
                if (extradata.length > 0) {
                    video.extradata().get(extradata);
                }
                AvcConfig avc = video.codec_id() == AV_CODEC_ID_H264 ? AvcConfig.parse(extradata) : null;
                slice.videoCodec = avc != null ? avc.codec() : null;
            }
            org.bytedeco.ffmpeg.avcodec.AVCodecParameters audio = in.first(org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO);
            if (audio != null && audio.codec_id() == org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC && audio.extradata_size() > 0) {
                // RFC 6381: mp4a.40.{audio object type}, from the first 5 bits of the AudioSpecificConfig.
                slice.audioCodec = "mp4a.40." + ((audio.extradata().get(0) >> 3) & 0x1f);
            }
            return slice;
        }

        void write(AVPacket pkt, long dtsMillis, long endMillis, boolean keyframe, boolean video) throws IOException {
            if (!out.writes(pkt.stream_index())) {
                // A second video or audio stream: a slice holds the first of each.
                return;
            }
            if (video) {
                videoPackets++;
            } else {
                audioPackets++;
            }
            bytes += pkt.size();
            try {
                out.write(pkt);
            } catch (IOException e) {
                throw new IOException("writing slice " + file + " failed at DTS " + dtsMillis + " ms: " + e.getMessage(), e);
            }
            lastDts = Math.max(lastDts, dtsMillis);
            this.endMillis = Math.max(this.endMillis, endMillis);
            if (keyframe) {
                keyframes++;
            }
        }

        /** Finishes the file; {@code nextDts} is the next slice's first DTS, or -1 at the end of the stream. */
        SliceFile close(long nextDts, Map<TimestampRebaser.Fault, Integer> faults) throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                throw new IOException("closing slice " + file + " failed: " + e.getMessage(), e);
            }
            long duration = (nextDts >= 0 ? nextDts : endMillis) - firstDts;
            LOG.debugf("slice %d closed: %d..%d ms, %d keyframes", seq, firstDts, lastDts, keyframes);
            Map<String, Integer> corrected = new java.util.TreeMap<>();
            faults.forEach((k, v) -> corrected.put(k.name(), v));
            return new SliceFile(seq, file, firstDts, lastDts, duration, keyframes, startedAt, new SliceMedia(videoPackets, audioPackets,
                    width, height, videoCodec, audioCodec, discontinuity, corrected), oversize);
        }
    }

}
