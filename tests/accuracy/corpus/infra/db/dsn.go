	dsn := "postgres://orders:1ozoR8et1QjksFgz5vSU@10.0.3.17:5432/orders?sslmode=require"
