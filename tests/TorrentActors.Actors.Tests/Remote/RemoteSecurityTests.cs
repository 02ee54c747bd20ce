using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.TestKit.Xunit2;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Actors.Tests.Remote;

public sealed class RemoteSecurityTests() : TestKit("akka.test.timefactor = 3"), IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempFolder _temp = new("ta-tls-");

    /// <summary>A peer that has the protocol's serializer but neither strict mode nor the refusing serializer: it sends anything.</summary>
    private static void Lax(AkkaConfigurationBuilder akka, int maxFrameBytes = RemoteProtocol.DefaultMaxFrameBytes) => akka
        .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0, MaxFrameSize = maxFrameBytes })
        .AddHocon("akka.remote.dot-netty.tcp.tcp-reuse-addr = off", HoconAddMode.Prepend)
        .WithCustomSerializer(RemoteProtocolSerializer.SerializerName, [typeof(IRemoteProtocolMessage)], system => new RemoteProtocolSerializer(system));

    [Fact]
    public async Task A_message_of_an_unbound_type_is_refused_and_the_node_keeps_working()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var client = await RemoteTestSystem.StartClientAsync(configure: akka => Lax(akka));
        var received = CreateTestProbe();
        node.System.ActorOf(Relay.Props(received.Ref), "inbox");
        var inbox = client.System.ActorSelection(node.Address + "/user/inbox");
        var sender = client.System.ActorOf(Relay.Props(CreateTestProbe().Ref));

        sender.Tell(new Relay.SendTo(inbox, new Unbound("rm -rf /")));
        sender.Tell(new Relay.SendTo(inbox, new RemoteEvents.TorrentRemoved(42)));

        Assert.Equal(new RemoteEvents.TorrentRemoved(42), await received.ExpectMsgAsync<object>(Timeout));
        var status = await node.Gateway(client.System).Ask<RemoteReplies.IRemoteReply>(RemoteCommands.GetStatus.Instance, Timeout);
        Assert.IsType<RemoteReplies.StatusReport>(status);
    }

    [Fact]
    public async Task The_node_does_not_send_unbound_types_either()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();

        var ex = Assert.Throws<System.Runtime.Serialization.SerializationException>(() =>
            node.System.Serialization.FindSerializerFor(new Unbound("x")).ToBinary(new Unbound("x")));

        Assert.NotNull(ex);
        Assert.IsType<RemoteProtocolSerializer>(node.System.Serialization.FindSerializerFor(RemoteCommands.GetStatus.Instance));
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_and_the_node_keeps_working()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using (var big = await RemoteTestSystem.StartClientAsync(configure: akka => Lax(akka, 16 * 1024 * 1024)))
        {
            var tooBig = new RemoteCommands.AddTorrentBytes([.. new byte[7 * 1024 * 1024]]);

            // Under the frame limit the gateway answers at once ("the limit is ..."); over it, nothing reaches it.
            await Assert.ThrowsAsync<AskTimeoutException>(() =>
                node.Gateway(big.System).Ask<RemoteReplies.IRemoteReply>(tooBig, TimeSpan.FromSeconds(10)));
        }

        await using var client = await RemoteTestSystem.StartClientAsync();
        var underLimit = new RemoteCommands.AddTorrentBytes([.. new byte[RemoteProtocol.MaxTorrentBytes + 1]]);
        var refused = await node.Gateway(client.System).Ask<RemoteReplies.IRemoteReply>(underLimit, Timeout);
        Assert.Contains("the limit is", Assert.IsType<RemoteReplies.CommandFailed>(refused).Reason);
    }

    [Fact]
    public async Task With_tls_only_a_client_with_the_certificate_can_talk_to_the_node()
    {
        var certificate = MakeCertificate("node", "secret");
        var stranger = MakeCertificate("stranger", "other");
        var tls = new RemoteSettings { Port = 0, CertificatePath = certificate, CertificatePassword = "secret" };
        await using var node = await RemoteTestSystem.StartNodeAsync(tls);

        Assert.Equal(RemoteClient.TlsProtocol, node.Address.Protocol);
        await using (var trusted = await RemoteClient.ConnectAsync(node.Address.ToString(), tls, Timeout))
        {
            Assert.IsType<RemoteReplies.StatusReport>(await trusted.AskAsync(RemoteCommands.GetStatus.Instance, Timeout));
        }

        var plainAddress = node.Address.WithProtocol(RemoteClient.PlainProtocol).ToString();
        await Assert.ThrowsAsync<RemoteNodeException>(() =>
            RemoteClient.ConnectAsync(plainAddress, new RemoteSettings(), TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<RemoteNodeException>(() =>
            RemoteClient.ConnectAsync(plainAddress, tls with { CertificatePath = stranger, CertificatePassword = "other" }, TimeSpan.FromSeconds(5)));
    }

    public new void Dispose()
    {
        _temp.Dispose();
        base.Dispose();
    }

    private string MakeCertificate(string name, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = Path.Combine(_temp.Path, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    private sealed record Unbound(string Text);
}
