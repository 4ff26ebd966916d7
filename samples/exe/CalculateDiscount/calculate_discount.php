#!/usr/bin/env php
<?php
// CalculateDiscount as an executable activity in PHP: the user ID (a JSON
// string or number) on standard input, the discount in percent on standard
// output: 5 + (the sum of the ID's bytes) mod 16, the formula of the C
// sample (samples/booking.c), so both apps offer the same discount.
$in = json_decode(stream_get_contents(STDIN), true);
if (!is_string($in) && !is_int($in)) {
    fwrite(STDERR, "CalculateDiscount expects a user ID (a string or a number)\n");
    exit(1);
}
$id = (string)$in;
$sum = 0;
for ($i = 0; $i < strlen($id); $i++) {
    $sum += ord($id[$i]);
}
echo json_encode(5 + $sum % 16), "\n";
