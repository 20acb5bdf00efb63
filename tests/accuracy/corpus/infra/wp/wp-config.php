<?php
define( 'DB_NAME', 'northwind_wp' );
define( 'DB_USER', 'wp_user' );
define( 'DB_PASSWORD', 'a4Fk2AfC2#gmkhoRlR' );
define( 'DB_HOST', 'localhost' );
