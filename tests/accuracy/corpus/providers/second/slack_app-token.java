package dev.northwind;

public final class Secrets {
    private static final String SLACK_APP_TOKEN = "xapp-1-A3V5RNT8B2N-8425510381656-c57bd752fb1101f57e71df40b67ca0955cf3d1ca51a4214553f6856e30b7dd77";
}
