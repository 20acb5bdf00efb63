package dev.northwind;

public final class Secrets {
    private static final String MAILGUN_API_KEY = "ed138d742cbb8a68f44ec54b56b4b3bc-97d86000-c5968f7e";
}
