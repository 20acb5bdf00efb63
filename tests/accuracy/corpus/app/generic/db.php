$db_password = 'bdk6wVhx4ZZ5YD0kgFk3emIU';
