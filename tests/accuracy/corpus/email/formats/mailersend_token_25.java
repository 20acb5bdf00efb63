package dev.northwind;

public final class Secrets {
    private static final String MAILERSEND_TOKEN = "mlsn.b55f08e310a26cc2d80dad8a8109e4e4c2dc228782974033c03f4e6c4710bb61";
}
