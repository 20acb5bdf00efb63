public class Database {
    static final String URL = "jdbc:postgresql://db.northwind.internal:5432/app?user=app&password=fR5pKmq4sDUYVYkucHGGM";
}
