package dev.northwind;

public final class Secrets {
    private static final String GITLAB_TOKEN = "glpat-EMmXfAyW1lT9UFWzJ0-A";

    private static final String STRIPE_KEY = "sk_live_tYB0Ge8rg0r0OcNxJcdhkpuU";

    private static final String PYPI_TOKEN = "pypi-AgEIcHlwaS5vcmcZgmH2OGoHshqMHUklANfmN7TdVE5Njh626ZB_948cChZKKYIWXEsa1BLNlVC4NWNAWp9LJwTw9uaI4HZdjnwo8X-tadDB2z_jgIkJ0hZpCmVjJ9FY-ZkglFuSHoRYQRbH4gNLDqKGslgoLG5OLmdQE";

    private static final String DD_API_KEY = "1d8a33a5efa3a9123edc513fc16df3b8";

    private static final String NOTION_TOKEN = "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";

    private static final String SENTRY_ORG_TOKEN = "sntrys_eyJpYXQiOiAxNzAwMDAwMDAwLjAsICJ1cmwiOiAiaHR0cHM6Ly9zZW50cnkuaW8iLCAib3JnIjogIm5vcnRod2luZCJ9_ws9gFjYPkfmVp433RJpyMSnZxiY4CIamjdJUU+Dy5ec";

}
