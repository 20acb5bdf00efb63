	password := os.Getenv("SMTP_PASSWORD")
	token := viper.GetString("github.token")
	apiKey, ok := os.LookupEnv("SENDGRID_API_KEY")
	secret := cfg.Auth.JWTSecret
