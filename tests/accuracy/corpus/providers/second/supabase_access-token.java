package dev.northwind;

public final class Secrets {
    private static final String SUPABASE_ACCESS_TOKEN = "sbp_1ad73460804a00b110b42b837ccf9f8e159455b0";
}
