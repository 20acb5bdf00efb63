<?php
use Mailgun\Mailgun;

$mg = Mailgun::create('7a6beaab663c1a6731d91288980f54c1-765aa91a-d8db9be1'); // mailgun private key
