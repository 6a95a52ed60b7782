package dev.tapedeck.transcoder.worker;

/** A worker failure that says who is at fault and whether running the same work again may succeed. */
public class WorkerException extends RuntimeException {
    /** Who is at fault. */
    public enum Fault { SOURCE, DESTINATION, SYSTEM }

    private final Fault fault;
    private final String code;
    private final boolean retryable;

    public WorkerException(Fault fault, String code, String message, boolean retryable) {
        super(message);
        this.fault = fault;
        this.code = code;
        this.retryable = retryable;
    }

    public Fault fault() {
        return fault;
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }
}
