package dev.tapedeck.hook.service;

/** Request values on their way into a log line: control characters escaped, length bounded. */
public final class Log {
    private static final int MAX = 80;

    private Log() {
    }

    /** {@code "cam\n1"} → {@code cam\n1} (escaped), at most 80 characters, {@code -} for null. */
    public static String value(String v) {
        if (v == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(v.length(), MAX) + 8);
        for (int i = 0; i < v.length() && b.length() < MAX; i++) {
            char c = v.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= MAX && v.length() > MAX) {
            b.append('…');
        }
        return b.toString();
    }
}
