using System.Security.Cryptography;
using PeerKit.Cli.Transfers;

namespace PeerKit.Cli.Tests;

public sealed class FileInboxTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("peerkit-inbox").FullName;
    private readonly NodeId _peer = NodeId.Parse(new string('a', 64));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("sub/file.txt")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void A_name_with_folders_or_a_leading_dot_is_refused_and_nothing_is_written(string name)
    {
        var inbox = new FileInbox(_folder, 1024);
        Assert.Contains("refused file name", inbox.Begin(_peer, 1, name, 10));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void A_file_over_the_limit_is_refused_before_any_byte_is_written()
    {
        var inbox = new FileInbox(_folder, 100);
        Assert.Contains("over the limit of 100", inbox.Begin(_peer, 1, "big.bin", 101));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void A_chunk_past_the_announced_size_or_out_of_order_aborts_the_transfer_and_removes_the_part_file()
    {
        var inbox = new FileInbox(_folder, 1024);
        Assert.Null(inbox.Begin(_peer, 1, "a.bin", 4));
        Assert.Contains("does not follow", inbox.Write(_peer, 1, 0, new byte[5]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
        Assert.Contains("is not open", inbox.Write(_peer, 1, 0, new byte[1]));

        Assert.Null(inbox.Begin(_peer, 2, "b.bin", 4));
        Assert.Contains("does not follow", inbox.Write(_peer, 2, 2, new byte[2]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void A_hash_mismatch_keeps_no_file_and_a_match_keeps_exactly_the_bytes()
    {
        var inbox = new FileInbox(_folder, 1024);
        byte[] data = [1, 2, 3, 4];
        Assert.Null(inbox.Begin(_peer, 1, "x.bin", 4));
        Assert.Null(inbox.Write(_peer, 1, 0, data));
        CliProtocol.FileReceived bad = inbox.Complete(_peer, 1, new string('0', 64), out string? none);
        Assert.False(bad.Ok);
        Assert.Null(none);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));

        Assert.Null(inbox.Begin(_peer, 2, "x.bin", 4));
        Assert.Null(inbox.Write(_peer, 2, 0, data.AsSpan(0, 2)));
        Assert.Null(inbox.Write(_peer, 2, 2, data.AsSpan(2)));
        CliProtocol.FileReceived good = inbox.Complete(_peer, 2, Convert.ToHexStringLower(SHA256.HashData(data)), out string? path);
        Assert.True(good.Ok);
        Assert.Equal(data, File.ReadAllBytes(path!));
        Assert.Equal(["x.bin"], Directory.EnumerateFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void At_most_eight_transfers_are_open_at_once()
    {
        var inbox = new FileInbox(_folder, 1024);
        for (ulong id = 1; id <= FileInbox.MaxOpen; id++)
        {
            Assert.Null(inbox.Begin(_peer, id, $"f{id}.bin", 1));
        }

        Assert.Contains("already open", inbox.Begin(_peer, 99, "one-more.bin", 1));
    }

    [Fact]
    public void Two_transfers_of_one_name_at_once_refuse_the_second_instead_of_failing_the_session()
    {
        var inbox = new FileInbox(_folder, 1024);
        Assert.Null(inbox.Begin(_peer, 1, "same.bin", 1));
        Assert.Contains("cannot write it here", inbox.Begin(_peer, 2, "same.bin", 1));
    }
}
