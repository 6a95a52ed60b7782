package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.contract.event.JobStatusChanged.Status;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;

/** Maps a Job's status to a worker state. */
final class JobState {
    private JobState() {
    }

    /** COMPLETE, FAILED, ACTIVE, or null while the Job has not started a pod. */
    static Status of(Job job) {
        var status = job.getStatus();
        if (status == null) {
            return null;
        }
        if (status.getConditions() != null) {
            for (JobCondition c : status.getConditions()) {
                if ("True".equals(c.getStatus()) && "Complete".equals(c.getType())) {
                    return Status.COMPLETE;
                }
                if ("True".equals(c.getStatus()) && "Failed".equals(c.getType())) {
                    return Status.FAILED;
                }
            }
        }
        if (status.getSucceeded() != null && status.getSucceeded() > 0) {
            return Status.COMPLETE;
        }
        if (status.getActive() != null && status.getActive() > 0) {
            return Status.ACTIVE;
        }
        return null;
    }
}
