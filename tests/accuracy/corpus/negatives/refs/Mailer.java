    private final String apiKey = System.getenv("SENDGRID_API_KEY");
    @Value("${spring.mail.password}") private String password;
    String token = properties.getProperty("github.token");
