<?php
/**
 * Plugin Name: Storefleet
 * Description: Outgoing mail through the SMTP relay the platform configures, and never a mail lost silently. Mounted by the store chart into mu-plugins from a ConfigMap; edit the chart's values, not this file.
 *
 * - mail.smtp.host set: PHPMailer sends through that relay (port, encryption, optional login from the
 *   operator's Secret); a failure is logged with the recipient, subject and reason.
 * - not set: the image has no sendmail, so PHP's mail() would fail without a trace. Every mail is logged
 *   as NOT SENT instead, and wp_mail() reports failure to its caller.
 * - The setup Job's verification order (one-off address in option storefleet_verification_email) never
 *   mails anyone: it is removed right after it is checked.
 * Logs go to PHP's error log, i.e. the WordPress pod's log.
 */

defined('ABSPATH') || exit;

function storefleet_mu_env(string $name): string
{
    $value = getenv($name);
    return $value === false ? '' : $value;
}

function storefleet_mail_summary(array $atts): string
{
    $to = is_array($atts['to'] ?? '') ? implode(', ', $atts['to']) : (string) ($atts['to'] ?? '');
    return sprintf('to %s, subject "%s"', $to, (string) ($atts['subject'] ?? ''));
}

add_filter('pre_wp_mail', static function ($short_circuit, array $atts) {
    $verification = (string) get_option('storefleet_verification_email', '');
    if ($verification !== '' && str_contains(wp_json_encode($atts), $verification)) {
        error_log('storefleet mail: not sent, setup verification order: ' . storefleet_mail_summary($atts));
        return true;
    }
    if (storefleet_mu_env('STOREFLEET_SMTP_HOST') === '') {
        error_log('storefleet mail: NOT SENT (no SMTP relay configured; set the chart value mail.smtp.host) ' . storefleet_mail_summary($atts));
        return false;
    }
    return $short_circuit;
}, 10, 2);

if (storefleet_mu_env('STOREFLEET_SMTP_HOST') !== '') {
    add_action('phpmailer_init', static function ($mailer): void {
        $mailer->isSMTP();
        $mailer->Host = storefleet_mu_env('STOREFLEET_SMTP_HOST');
        $mailer->Port = (int) (storefleet_mu_env('STOREFLEET_SMTP_PORT') ?: 587);
        $encryption = storefleet_mu_env('STOREFLEET_SMTP_ENCRYPTION');
        // starttls: upgrade a plain connection (587); tls: TLS from the first byte (465); none: never.
        $mailer->SMTPSecure = $encryption === 'tls' ? 'ssl' : ($encryption === 'starttls' ? 'tls' : '');
        $mailer->SMTPAutoTLS = $encryption === 'starttls';
        $mailer->Timeout = 15;
        // The relay's login, from the operator's Secret through the environment (never in this file).
        if (storefleet_mu_env('STOREFLEET_SMTP_USERNAME') !== '') {
            $mailer->SMTPAuth = true;
            [$mailer->Username, $mailer->Password] = [storefleet_mu_env('STOREFLEET_SMTP_USERNAME'), storefleet_mu_env('STOREFLEET_SMTP_PASSWORD')];
        }
    });
    add_action('wp_mail_failed', static function (WP_Error $error): void {
        $data = (array) $error->get_error_data();
        error_log('storefleet mail: NOT SENT ' . storefleet_mail_summary($data) . ': ' . $error->get_error_message());
    });
}

// The sender the relay accepts (SPF/DKIM of the operator's domain), for WordPress' and WooCommerce's mail.
if (storefleet_mu_env('STOREFLEET_MAIL_FROM') !== '') {
    $storefleet_from = static fn () => storefleet_mu_env('STOREFLEET_MAIL_FROM');
    add_filter('wp_mail_from', $storefleet_from, 99);
    add_filter('woocommerce_email_from_address', $storefleet_from, 99);
}
if (storefleet_mu_env('STOREFLEET_MAIL_FROM_NAME') !== '') {
    $storefleet_from_name = static fn () => storefleet_mu_env('STOREFLEET_MAIL_FROM_NAME');
    add_filter('wp_mail_from_name', $storefleet_from_name, 99);
    add_filter('woocommerce_email_from_name', $storefleet_from_name, 99);
}
