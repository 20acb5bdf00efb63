package dev.northwind;

public final class Secrets {
    private static final String SENTRY_ORG_TOKEN = "sntrys_eyJpYXQiOiAxNzAwMDAwMDAwLjAsICJ1cmwiOiAiaHR0cHM6Ly9zZW50cnkuaW8iLCAib3JnIjogIm5vcnRod2luZCJ9_bchLs5Uocbnxd6e5iOh4Mhy3uueULLQXCvUHB3u8M2/";
}
