package dev.northwind;

public final class Secrets {
    private static final String ANTHROPIC_API_KEY = "sk-ant-api03-__0qKMEznC_U9gHMbpxvq90i50KNQnSrbJksA-AVHno6K-kNCqSW_gzffgZns337zsp1ZF0Qoy5sC8cd_oJQ_cuIQqC3IAA";
}
