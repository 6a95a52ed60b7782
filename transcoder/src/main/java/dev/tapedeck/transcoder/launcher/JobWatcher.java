package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.contract.event.JobStatusChanged.Scope;
import dev.tapedeck.contract.event.JobStatusChanged.Status;
import dev.tapedeck.transcoder.service.JobEvents;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Watches the worker Jobs and reports their state on {@code tapedeck.jobs}: ACTIVE once a pod runs, then
 * exactly one of COMPLETE, FAILED, or ABORTED (the Job was deleted before it finished).
 */
@ApplicationScoped
public class JobWatcher {
    private static final Logger LOG = Logger.getLogger(JobWatcher.class);

    private final KubernetesClient client;
    private final WorkerLauncher launcher;
    private final JobEvents events;
    private final Map<String, Status> reported = new ConcurrentHashMap<>();
    private SharedIndexInformer<Job> informer;

    JobWatcher(KubernetesClient client, WorkerLauncher launcher, JobEvents events) {
        this.client = client;
        this.launcher = launcher;
        this.events = events;
    }

    void start(@Observes StartupEvent ev) {
        if (!(launcher instanceof KubernetesWorkerLauncher kubernetes)) {
            return; // local workers report their end themselves
        }
        try {
            informer = client.batch().v1().jobs().inNamespace(kubernetes.namespace())
                    .withLabel(KubernetesWorkerLauncher.NAME_LABEL, KubernetesWorkerLauncher.WORKER)
                    .inform(new ResourceEventHandler<>() {
                        @Override
                        public void onAdd(Job job) {
                            observe(job);
                        }

                        @Override
                        public void onUpdate(Job old, Job job) {
                            observe(job);
                        }

                        @Override
                        public void onDelete(Job job, boolean unknownFinalState) {
                            deleted(job);
                        }
                    });
        } catch (RuntimeException e) {
            LOG.errorf("cannot watch worker Jobs: %s", e.getMessage());
        }
    }

    void stop(@Observes ShutdownEvent ev) {
        if (informer != null) {
            informer.close();
        }
    }

    void observe(Job job) {
        Status state = JobState.of(job);
        if (state != null) {
            report(job, state, state == Status.FAILED ? "WORKER_FAILED" : null,
                    state == Status.FAILED ? "the worker pod failed; see the Job's pod logs" : null);
        }
    }

    void deleted(Job job) {
        Status last = reported.get(job.getMetadata().getName());
        if (last == null || !last.isFinal()) {
            report(job, Status.ABORTED, "JOB_DELETED", "the Job was deleted before the worker finished");
        }
    }

    private void report(Job job, Status state, String code, String message) {
        String name = job.getMetadata().getName();
        Status before = reported.get(name);
        if (before == state || (before != null && before.isFinal())) {
            return;
        }
        reported.put(name, state);
        String session = job.getMetadata().getLabels().get(KubernetesWorkerLauncher.SESSION_LABEL);
        String streamKey = job.getMetadata().getAnnotations() == null ? null
                : job.getMetadata().getAnnotations().get(KubernetesWorkerLauncher.STREAM_KEY_ANNOTATION);
        try {
            events.send(session, streamKey, state, name, code == null ? null : Scope.SYSTEM, code, message, false);
            LOG.infof("worker %s is %s", name, state);
        } catch (RuntimeException e) {
            reported.put(name, before);
            LOG.errorf("could not report %s of %s: %s", state, name, e.getMessage());
        }
    }
}
