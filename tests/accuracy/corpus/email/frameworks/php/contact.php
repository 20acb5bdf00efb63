<?php
$mail = new PHPMailer(true);
$mail->isSMTP();
$mail->Host       = 'smtp.northwind.dev';
$mail->SMTPAuth   = true;
$mail->Username   = 'web@northwind.dev';
$mail->Password   = '46BRY04bMdXBMh';
