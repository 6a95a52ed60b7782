package dev.tapedeck.hook.rest;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;

/**
 * Runs a step once the media server has the answer to its question. A media server lets a player join only when its
 * {@code on_play} is answered: a held publish released before that would start before the player is there, and the
 * player would miss the first frames.
 *
 * <p>nginx-rtmp asks in HTTP/1.0 with {@code Connection: Close} and acts on an answer only when the connection closes
 * (its notify calls read to the end of the stream). Released when the answer was written, the publish answer's
 * connection sometimes closed first: nginx started the publish, the publisher's first keyframe went out, and the
 * player (joined a moment later, waiting for a keyframe) began at the second one. So for a connection that closes
 * after the answer, the step runs once it has closed; otherwise once the answer's last byte is written.
 */
final class AfterAnswer {
    private AfterAnswer() {
    }

    /** {@code step} once the answer has reached the media server (at once without a routing context). */
    static void run(RoutingContext routing, Runnable step) {
        if (routing == null) {
            step.run();
        } else if (closesAfterAnswer(routing.request())) {
            routing.request().connection().closeHandler(closed -> step.run());
        } else {
            routing.addBodyEndHandler(done -> step.run());
        }
    }

    /** HTTP/1.0 without keep-alive, or {@code Connection: close}: the server closes the connection after the answer. */
    static boolean closesAfterAnswer(HttpServerRequest request) {
        String connection = request.getHeader(HttpHeaders.CONNECTION);
        if (request.version() == HttpVersion.HTTP_1_0) {
            return connection == null || !connection.equalsIgnoreCase("keep-alive");
        }
        return request.version() == HttpVersion.HTTP_1_1 && connection != null && connection.equalsIgnoreCase("close");
    }
}
