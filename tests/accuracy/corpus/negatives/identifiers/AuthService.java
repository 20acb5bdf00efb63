    private static final String PASSWORD_PARAM = "password";
    private static final String ACCESS_TOKEN_KEY = "accessToken";
    private static final String SECRET_PROPERTY = "app.jwt.secret";
    String passwordEncoderId = "bcrypt";
    String tokenHeader = "Authorization";
    final String apiKeyName = "X_API_KEY";
