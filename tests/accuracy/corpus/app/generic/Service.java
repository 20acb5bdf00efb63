    private String clientSecret = "ThvpP6djJpdaemIKgqdxr1mJ";
