using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Storefleet.Tests.RealStore;

/// <summary>
/// A tiny SMTP server on loopback that accepts every message and keeps it: enough of RFC 5321 (EHLO, AUTH
/// PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for PHPMailer, the mailer WordPress uses.
/// </summary>
public sealed class SmtpSink : IDisposable
{
    public sealed record Message(string? AuthUser, string? AuthPassword, string From, IReadOnlyList<string> To, string Data)
    {
        /// <summary>The Subject header, with RFC 2047 encoded words (=?UTF-8?Q?…?= / ?B?) decoded.</summary>
        public string Subject
        {
            get
            {
                var raw = string.Join("", Data.Split("\r\n").SkipWhile(l => !l.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase))
                    .Select((l, i) => i == 0 ? l[8..].Trim() : l).TakeWhile((l, i) => i == 0 || l.StartsWith(' ') || l.StartsWith('\t')).Select(l => l.Trim()));
                return System.Text.RegularExpressions.Regex.Replace(raw, @"=\?([^?]+)\?([QqBb])\?([^?]*)\?=", m =>
                {
                    var encoding = Encoding.GetEncoding(m.Groups[1].Value);
                    if (m.Groups[2].Value is "B" or "b") return encoding.GetString(Convert.FromBase64String(m.Groups[3].Value));
                    var bytes = new List<byte>();
                    var text = m.Groups[3].Value.Replace('_', ' ');
                    for (var i = 0; i < text.Length; i++)
                    {
                        if (text[i] == '=' && i + 2 < text.Length) { bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16)); i += 2; }
                        else bytes.Add((byte)text[i]);
                    }
                    return encoding.GetString([.. bytes]);
                });
            }
        }
    }

    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource stop = new();
    public ConcurrentQueue<Message> Messages { get; } = new();
    public int Port { get; }

    public SmtpSink()
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => SessionAsync(client));
        }
    }

    async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 sink.storefleet.test ESMTP");
            string? user = null, password = null, from = null;
            var to = new List<string>();
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                var rest = line.Length > verb.Length ? line[(verb.Length + 1)..] : "";
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-sink.storefleet.test");
                        await writer.WriteLineAsync("250-AUTH PLAIN LOGIN");
                        await writer.WriteLineAsync("250 8BITMIME");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 sink.storefleet.test");
                        break;
                    case "AUTH":
                        var parts = rest.Split(' ');
                        if (parts[0].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
                        {
                            var b64 = parts.Length > 1 ? parts[1] : await Ask(writer, reader, "334 ");
                            var fields = Encoding.UTF8.GetString(Convert.FromBase64String(b64)).Split('\0');
                            (user, password) = (fields[1], fields[2]);
                        }
                        else
                        {
                            user = Encoding.UTF8.GetString(Convert.FromBase64String(await Ask(writer, reader, "334 VXNlcm5hbWU6")));
                            password = Encoding.UTF8.GetString(Convert.FromBase64String(await Ask(writer, reader, "334 UGFzc3dvcmQ6")));
                        }
                        await writer.WriteLineAsync("235 2.7.0 Authentication successful");
                        break;
                    case "MAIL":
                        from = rest;
                        to.Clear();
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "RCPT":
                        to.Add(rest);
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(stop.Token) is { } l && l != ".")
                        {
                            data.Append(l.StartsWith("..", StringComparison.Ordinal) ? l[1..] : l).Append("\r\n");
                        }
                        Messages.Enqueue(new Message(user, password, from ?? "", [.. to], data.ToString()));
                        await writer.WriteLineAsync("250 OK queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 Bye");
                        return;
                    default:   // RSET, NOOP and anything else
                        await writer.WriteLineAsync("250 OK");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or FormatException or IndexOutOfRangeException)
        {
            // A client that hangs up or speaks nonsense ends its own session only.
        }
    }

    static async Task<string> Ask(StreamWriter writer, StreamReader reader, string prompt)
    {
        await writer.WriteLineAsync(prompt);
        return await reader.ReadLineAsync() ?? "";
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        listener.Dispose();
    }
}
