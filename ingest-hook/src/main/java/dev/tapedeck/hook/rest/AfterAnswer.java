package dev.tapedeck.hook.rest;

import io.vertx.ext.web.RoutingContext;

/**
 * Runs a step once the answer to the media server has been written. A media server lets a player join only when its
 * {@code on_play} is answered: a held publish released at the question would start before the player is there, and
 * the player would miss the first frames (seen with nginx-rtmp: the recording began at the second keyframe).
 */
final class AfterAnswer {
    private AfterAnswer() {
    }

    /** {@code step} once the response's last byte is written (at once without a routing context). */
    static void run(RoutingContext routing, Runnable step) {
        if (routing == null) {
            step.run();
        } else {
            routing.addBodyEndHandler(done -> step.run());
        }
    }
}
