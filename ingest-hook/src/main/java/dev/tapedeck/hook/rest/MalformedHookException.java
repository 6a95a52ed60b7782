package dev.tapedeck.hook.rest;

/** A hook body that cannot be read; answered with 400. */
public class MalformedHookException extends RuntimeException {
    public MalformedHookException(String message) {
        super(message);
    }
}
