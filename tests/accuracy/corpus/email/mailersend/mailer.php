<?php
use MailerSend\MailerSend;

$mailersend = new MailerSend(['api_key' => 'mlsn.6dcee3887dcf222286ff5b323e211e61b804a5fdc0d5b5bda4a00c8a854af4cf']);
