/** Prints the path of the ffmpeg executable of the FFmpeg build JavaCV links (extracted on first use). */
public class FfmpegPath {
    public static void main(String[] args) throws Exception {
        System.out.println(org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class));
    }
}
