    Credentials = new NetworkCredential(config["Smtp:User"], config["Smtp:Password"]),
    var key = Environment.GetEnvironmentVariable("SENDGRID_API_KEY");
