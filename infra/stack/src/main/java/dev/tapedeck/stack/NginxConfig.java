package dev.tapedeck.stack;

import java.nio.file.Path;

/** The nginx-rtmp configuration of the local stack: every app's publish and play hooks point at ingest-hook. */
final class NginxConfig {
    static final String MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

    private NginxConfig() {
    }

    /** {@code endHookPort} answers {@code on_publish_done}; the same as {@code hookPort} with one ingest-hook. */
    static String render(Path dir, int rtmpPort, int hookPort, int endHookPort, boolean playRestart, boolean asRoot, String... apps) {
        String hook = "http://127.0.0.1:" + hookPort + "/hooks/nginx-rtmp";
        String endHook = "http://127.0.0.1:" + endHookPort + "/hooks/nginx-rtmp";
        StringBuilder sb = new StringBuilder();
        sb.append("load_module ").append(MODULE).append(";\n");
        if (asRoot) {
            sb.append("user root;\n");
        }
        sb.append("""
                daemon off;
                master_process on;
                # RTMP live streams live in one worker: subscribers must meet their publisher there.
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 1024; }
                rtmp {
                    server {
                        listen 127.0.0.1:%2$d;
                        chunk_size 4096;
                """.formatted(dir, rtmpPort));
        for (String app : apps) {
            sb.append("""
                            application %1$s {
                                live on;
                                record off;
                                # Players may join before the publisher: the recorder attaches first and misses nothing.
                                idle_streams on;
                                # on: subscribers get NetStream.Play.Stop when the publisher leaves. off: they stay
                                # connected and hear nothing (as with SRS); the recorder ends on the unpublish either way.
                                play_restart %4$s;
                                on_publish %2$s;
                                on_publish_done %3$s;
                                on_play %2$s;
                            }
                    """.formatted(app, hook, endHook, playRestart ? "on" : "off"));
        }
        sb.append("    }\n}\n");
        return sb.toString();
    }
}
