curl -H 'Authorization: Basic ZGVwbG95OjdUeWFWTXI4S2dvUFUzRWE2Vk1o' https://registry.northwind.dev/v2/_catalog
