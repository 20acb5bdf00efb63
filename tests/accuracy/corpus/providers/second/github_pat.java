package dev.northwind;

public final class Secrets {
    private static final String GH_TOKEN = "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";
}
