package dev.tapedeck.hook.rest;

/** Every error answer: a stable {@code code} and a message for humans. */
public record ErrorBody(String code, String message) {
}
