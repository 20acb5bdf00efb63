package dev.northwind;

public final class Secrets {
    private static final String SOPS_AGE_KEY = "AGE-SECRET-KEY-1STSK8U9T3ND64LJWFWMP92C5GPZ8JZSE25ZYE957NENGQFGJ92AQ0SDWA3";
}
