/**
 * The transcoder: a controller that launches one worker per live session, and the worker that pulls
 * the source once and publishes the keyframe-aligned ladder back to the media server.
 */
package dev.tapedeck.transcoder;
