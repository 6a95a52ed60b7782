package dev.tapedeck.transcoder.worker;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_free;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_read;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_size;
import static org.bytedeco.ffmpeg.global.avutil.av_audio_fifo_write;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_copy;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_q;
import static org.bytedeco.ffmpeg.global.avutil.av_samples_set_silence;
import static org.bytedeco.ffmpeg.global.swresample.swr_alloc_set_opts2;
import static org.bytedeco.ffmpeg.global.swresample.swr_convert;
import static org.bytedeco.ffmpeg.global.swresample.swr_free;
import static org.bytedeco.ffmpeg.global.swresample.swr_get_out_samples;
import static org.bytedeco.ffmpeg.global.swresample.swr_init;

import java.util.Set;
import java.util.function.Consumer;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVAudioFifo;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swresample.SwrContext;
import org.bytedeco.javacpp.Pointer;

/**
 * Audio for sources whose audio is not AAC (MP3, Speex, Nellymoser, PCM in FLV): decoded once, resampled
 * to planar float, encoded once to AAC-LC (at most stereo) and handed to every rung. Timestamps follow
 * the source's: they advance by the samples encoded, and are re-anchored to the source's timestamp wherever
 * the source's audio has a hole (or overlaps itself) by more than one AAC frame, so rung audio stays with the
 * source's video for any length.
 */
final class AacEncoder implements AutoCloseable {
    /** Sample rates the AAC encoder takes; anything else is resampled to 48 kHz. */
    private static final Set<Integer> AAC_RATES = Set.of(96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000,
            12000, 11025, 8000);

    private final AVRational sourceTb;
    private final AVCodecContext decoder;
    private final AVCodecContext encoder;
    private final AVCodecParameters parameters = avcodec_parameters_alloc();
    private final AVFrame decoded = av_frame_alloc();
    private final AVFrame converted = av_frame_alloc();
    private final AVFrame chunk = av_frame_alloc();
    private final AVPacket packet = av_packet_alloc();
    private final AVAudioFifo fifo;
    private SwrContext resampler;
    private long nextPts = AV_NOPTS_VALUE;
    private int reanchored;

    AacEncoder(AVStream source) {
        this.sourceTb = source.time_base();
        AVCodec dec = avcodec_find_decoder(source.codecpar().codec_id());
        if (dec == null) {
            throw new WorkerException(WorkerException.Fault.SOURCE, "UNSUPPORTED_AUDIO",
                    "no decoder for the source's audio (codec id " + source.codecpar().codec_id() + ")", false);
        }
        decoder = avcodec_alloc_context3(dec);
        avcodec_parameters_to_context(decoder, source.codecpar());
        decoder.pkt_timebase(source.time_base());
        check(avcodec_open2(decoder, dec, (AVDictionary) null), "open the source's audio decoder", WorkerException.Fault.SOURCE);

        AVCodec aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
        encoder = avcodec_alloc_context3(aac);
        int rate = AAC_RATES.contains(decoder.sample_rate()) ? decoder.sample_rate() : 48000;
        int channels = Math.min(2, Math.max(1, decoder.ch_layout().nb_channels()));
        encoder.sample_rate(rate);
        av_channel_layout_default(encoder.ch_layout(), channels);
        encoder.sample_fmt(AV_SAMPLE_FMT_FLTP);
        encoder.bit_rate(channels == 1 ? 64_000 : 128_000);
        encoder.time_base(av_make_q(1, rate));
        encoder.flags(encoder.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        check(avcodec_open2(encoder, aac, (AVDictionary) null), "open the AAC encoder", WorkerException.Fault.SYSTEM);
        check(avcodec_parameters_from_context(parameters, encoder), "describe the AAC stream", WorkerException.Fault.SYSTEM);
        fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, encoder.frame_size() * 4);
    }

    /** The rungs' audio stream. */
    AVCodecParameters parameters() {
        return parameters;
    }

    /** Time base of the packets this hands out. */
    AVRational timeBase() {
        return encoder.time_base();
    }

    /** Decodes one source packet and hands every AAC packet that completes to {@code out}. */
    void encode(AVPacket source, Consumer<AVPacket> out) {
        if (avcodec_send_packet(decoder, source) < 0) {
            return; // a damaged audio packet: skip it, the next one decodes
        }
        receiveDecoded(out);
    }

    /** Drains the decoder, the resampler and the encoder at the end of the source. */
    void flush(Consumer<AVPacket> out) {
        avcodec_send_packet(decoder, null);
        receiveDecoded(out);
        drainFifo(out, true);
        avcodec_send_frame(encoder, null);
        receivePackets(out);
    }

    private void receiveDecoded(Consumer<AVPacket> out) {
        while (avcodec_receive_frame(decoder, decoded) >= 0) {
            try {
                long pts = decoded.best_effort_timestamp() != AV_NOPTS_VALUE ? decoded.best_effort_timestamp() : decoded.pts();
                if (nextPts == AV_NOPTS_VALUE) {
                    nextPts = pts == AV_NOPTS_VALUE ? 0 : av_rescale_q(pts, sourceTb, encoder.time_base());
                    // The encoder stamps its first packet (its priming samples) that much earlier; a negative
                    // timestamp would make the FLV muxer shift the whole rung, video included, off the source's times.
                    nextPts = Math.max(nextPts, encoder.initial_padding());
                } else if (pts != AV_NOPTS_VALUE) {
                    long at = av_rescale_q(pts, sourceTb, encoder.time_base());
                    long expected = nextPts + av_audio_fifo_size(fifo);
                    if (Math.abs(at - expected) > encoder.frame_size()) {
                        // A hole in the source's audio (or an overlap): what is buffered goes out padded with
                        // silence, and the samples that follow carry the source's time again.
                        padFifo(out);
                        nextPts = Math.max(at, nextPts);
                        reanchored++;
                    }
                }
                resample(decoded);
                drainFifo(out, false);
            } finally {
                av_frame_unref(decoded);
            }
        }
    }

    private void resample(AVFrame in) {
        if (resampler == null) {
            resampler = new SwrContext(null);
            check(swr_alloc_set_opts2(resampler, encoder.ch_layout(), AV_SAMPLE_FMT_FLTP, encoder.sample_rate(),
                    in.ch_layout(), in.format(), in.sample_rate(), 0, (Pointer) null), "set up the resampler", WorkerException.Fault.SYSTEM);
            check(swr_init(resampler), "start the resampler", WorkerException.Fault.SYSTEM);
        }
        int capacity = swr_get_out_samples(resampler, in.nb_samples());
        allocate(converted, capacity);
        try {
            int n = swr_convert(resampler, converted.extended_data(), capacity, in.extended_data(), in.nb_samples());
            check(n, "resample the source's audio", WorkerException.Fault.SOURCE);
            if (n > 0) {
                av_audio_fifo_write(fifo, converted.extended_data(), n);
            }
        } finally {
            av_frame_unref(converted);
        }
    }

    private void drainFifo(Consumer<AVPacket> out, boolean all) {
        int size = encoder.frame_size();
        while (av_audio_fifo_size(fifo) >= size || (all && av_audio_fifo_size(fifo) > 0)) {
            int n = Math.min(size, av_audio_fifo_size(fifo));
            sendFromFifo(n, n, out);
        }
    }

    /** Sends what the FIFO holds as one whole frame, its end filled with silence (the encoder takes only whole frames). */
    private void padFifo(Consumer<AVPacket> out) {
        int n = av_audio_fifo_size(fifo);
        if (n > 0) {
            sendFromFifo(n, encoder.frame_size(), out);
        }
    }

    /** Encodes a frame of {@code samples} samples: {@code read} from the FIFO, silence after them. */
    private void sendFromFifo(int read, int samples, Consumer<AVPacket> out) {
        allocate(chunk, samples);
        try {
            av_audio_fifo_read(fifo, chunk.extended_data(), read);
            if (samples > read) {
                av_samples_set_silence(chunk.extended_data(), read, samples - read, encoder.ch_layout().nb_channels(),
                        AV_SAMPLE_FMT_FLTP);
            }
            chunk.pts(nextPts);
            nextPts += samples;
            check(avcodec_send_frame(encoder, chunk), "encode AAC", WorkerException.Fault.SYSTEM);
        } finally {
            av_frame_unref(chunk);
        }
        receivePackets(out);
    }

    /** How often the audio was re-anchored to the source's timestamps after a hole or an overlap. */
    int reanchored() {
        return reanchored;
    }

    /** Gives {@code frame} room for {@code samples} samples in the encoder's format, rate and layout. */
    private void allocate(AVFrame frame, int samples) {
        frame.nb_samples(samples);
        frame.format(AV_SAMPLE_FMT_FLTP);
        frame.sample_rate(encoder.sample_rate());
        av_channel_layout_copy(frame.ch_layout(), encoder.ch_layout());
        check(av_frame_get_buffer(frame, 0), "allocate audio samples", WorkerException.Fault.SYSTEM);
    }

    private void receivePackets(Consumer<AVPacket> out) {
        while (true) {
            int r = avcodec_receive_packet(encoder, packet);
            if (r == AVERROR_EAGAIN() || r == AVERROR_EOF) {
                return;
            }
            check(r, "receive from the AAC encoder", WorkerException.Fault.SYSTEM);
            try {
                out.accept(packet);
            } finally {
                av_packet_unref(packet);
            }
        }
    }

    @Override
    public void close() {
        if (resampler != null) {
            swr_free(resampler);
        }
        av_audio_fifo_free(fifo);
        avcodec_free_context(decoder);
        avcodec_free_context(encoder);
        avcodec_parameters_free(parameters);
        av_frame_free(decoded);
        av_frame_free(converted);
        av_frame_free(chunk);
        av_packet_free(packet);
    }

    private static void check(int r, String what, WorkerException.Fault fault) {
        if (r < 0) {
            throw new WorkerException(fault, "AUDIO_ERROR", "could not " + what + " (" + FfmpegErrors.describe(r) + ")", false);
        }
    }
}
