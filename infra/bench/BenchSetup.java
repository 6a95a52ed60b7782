/**
 * Prints what the ladder benchmark needs from the transcoder's class path: the ffmpeg executable of the
 * FFmpeg build JavaCV links (extracted on first use), and the JVM options the launchers give a worker.
 */
public class BenchSetup {
    public static void main(String[] args) throws Exception {
        System.out.println(org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class));
        System.out.println(String.join(" ", dev.tapedeck.transcoder.worker.WorkerMain.JVM_OPTIONS));
    }
}
