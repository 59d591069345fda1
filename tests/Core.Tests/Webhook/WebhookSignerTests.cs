using System.Text;
using Serverless.Backup.Core.Webhook;

namespace Serverless.Backup.Core.Tests.Webhook;

public sealed class WebhookSignerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"type\":\"started\"}");

    [Fact]
    public void A_token_is_scoped_to_one_session_and_stable()
    {
        var a = WebhookSigner.SessionToken("master", "prod", "BackupSession", "shop-202611240100", "uid-1");
        Assert.Equal(a, WebhookSigner.SessionToken("master", "prod", "BackupSession", "shop-202611240100", "uid-1"));
        Assert.NotEqual(a, WebhookSigner.SessionToken("master", "prod", "BackupSession", "shop-202611240200", "uid-2"));
        Assert.NotEqual(a, WebhookSigner.SessionToken("master", "prod", "BackupSession", "shop-202611240100", "uid-other"));
        Assert.NotEqual(a, WebhookSigner.SessionToken("other-master", "prod", "BackupSession", "shop-202611240100", "uid-1"));
    }

    [Fact]
    public void A_correctly_signed_fresh_request_is_valid()
    {
        var ts = WebhookSigner.Timestamp(Now.AddSeconds(-10));
        var sig = WebhookSigner.Sign("token", ts, Body);
        Assert.Equal(WebhookVerdict.Valid, WebhookSigner.Verify("token", ts, sig, Body, Now));
    }

    [Fact]
    public void A_request_older_than_five_minutes_is_expired()
    {
        var ts = WebhookSigner.Timestamp(Now.AddMinutes(-6));
        Assert.Equal(WebhookVerdict.Expired, WebhookSigner.Verify("token", ts, WebhookSigner.Sign("token", ts, Body), Body, Now));
    }

    [Fact]
    public void Unsigned_forged_tampered_and_cross_session_requests_are_refused()
    {
        var ts = WebhookSigner.Timestamp(Now);
        var sig = WebhookSigner.Sign("token", ts, Body);
        Assert.Equal(WebhookVerdict.Unsigned, WebhookSigner.Verify("token", null, null, Body, Now));
        Assert.Equal(WebhookVerdict.Unsigned, WebhookSigner.Verify("token", ts, "", Body, Now));
        Assert.Equal(WebhookVerdict.MalformedTimestamp, WebhookSigner.Verify("token", "yesterday", sig, Body, Now));
        Assert.Equal(WebhookVerdict.BadSignature, WebhookSigner.Verify("token", ts, "sha256=zz", Body, Now));
        Assert.Equal(WebhookVerdict.BadSignature, WebhookSigner.Verify("token", ts, "sha256=" + new string('0', 64), Body, Now));
        Assert.Equal(WebhookVerdict.BadSignature, WebhookSigner.Verify("token", ts, sig, Encoding.UTF8.GetBytes("{\"type\":\"succeeded\"}"), Now));
        Assert.Equal(WebhookVerdict.BadSignature, WebhookSigner.Verify("another-session-token", ts, sig, Body, Now));
        var laterTs = WebhookSigner.Timestamp(Now.AddSeconds(1));
        Assert.Equal(WebhookVerdict.BadSignature, WebhookSigner.Verify("token", laterTs, sig, Body, Now));
    }
}
