package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.transcoder.worker.WorkRequest;

/** Starts workers: one per live session. */
public interface WorkerLauncher {

    /** Outcome of a launch. */
    enum Launch {
        /** A new worker was created. */
        STARTED,
        /** A worker for this session exists already (a redelivered event): nothing new was created. */
        ALREADY_RUNNING
    }

    /** Starts the worker for the request's session; throws with the reason when it cannot. */
    Launch launch(WorkRequest request);

    /** Workers that have not finished. */
    int running();

    /**
     * The session's source was unpublished: its worker is asked to finish (it reads what is in flight and ends its rungs as
     * at the source's end, also where the media server keeps its play open and sends nothing), and one that dies from
     * now on is not started again.
     */
    default void sessionEnded(String sessionId) {
    }

    /** The worker's name: the Job name in a cluster, the process id locally. */
    String workerName(String sessionId);
}
