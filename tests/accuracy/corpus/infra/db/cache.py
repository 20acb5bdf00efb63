REDIS_URL = "redis://:J07g0KZBVfzI3yRY6Tgj@redis-12345.c1.eu-west-1-2.ec2.cloud.redislabs.com:12345/0"
