using PeerKit.Memory;

namespace PeerKit.Tests.Memory;

/// <summary>The node-wide memory budget and its accounts, alone.</summary>
public sealed class MemoryBudgetTests
{
    [Fact]
    public void Accounts_add_up_and_the_budget_has_room_until_the_limit()
    {
        var budget = new MemoryBudget(1000, MemoryBudgetPolicy.Refuse);
        MemoryAccount a = budget.Open();
        MemoryAccount b = budget.Open();
        a.Charge(400);
        b.Charge(500);
        Assert.Equal(900, budget.Used);
        Assert.True(budget.HasRoom);
        b.Charge(100);
        Assert.False(budget.HasRoom);
        Assert.Equal(1000, budget.Peak);
        a.Release(400);
        Assert.Equal(600, budget.Used);
        Assert.True(budget.HasRoom);
        Assert.Equal(1000, budget.Peak);
        Assert.Equal((0L, 600L), (a.Held, b.Held));
    }

    [Fact]
    public void Closing_an_account_gives_back_what_it_held_and_later_changes_are_ignored()
    {
        var budget = new MemoryBudget(1000, MemoryBudgetPolicy.Refuse);
        MemoryAccount a = budget.Open();
        a.Charge(700);
        a.Close();
        Assert.Equal(0, budget.Used);
        Assert.Equal(0, budget.AccountCount);
        a.Release(700); // a frame taken after the peer ended
        a.Charge(50);
        Assert.Equal(0, budget.Used);
        a.Close();
        Assert.Equal(0, budget.Used);
    }

    [Fact]
    public async Task Charges_releases_and_a_close_racing_on_several_threads_leave_nothing_behind()
    {
        var budget = new MemoryBudget(long.MaxValue, MemoryBudgetPolicy.Refuse);
        for (int round = 0; round < 50; round++)
        {
            MemoryAccount account = budget.Open();
            using var go = new ManualResetEventSlim();
            Task[] workers = [.. Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
            {
                go.Wait();
                for (int i = 0; i < 2000; i++)
                {
                    account.Charge(64);
                    account.Release(64);
                }
            }))];
            Task closer = Task.Run(() =>
            {
                go.Wait();
                Thread.SpinWait(2000 * round);
                account.Close();
            });
            go.Set();
            await Task.WhenAll([.. workers, closer]).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, budget.Used);
        }
    }

    [Fact]
    public void Refuse_counts_refusals_and_evicts_nobody()
    {
        int evicted = 0;
        var budget = new MemoryBudget(100, MemoryBudgetPolicy.Refuse);
        MemoryAccount a = budget.Open(() => Interlocked.Increment(ref evicted));
        a.Charge(200);
        Assert.Null(budget.OnExhausted());
        Assert.Null(budget.OnExhausted());
        Assert.Equal(2, budget.RefusedCount);
        Assert.Equal(0, budget.EvictedCount);
        Assert.Equal(0, Volatile.Read(ref evicted));
    }

    [Fact]
    public async Task DropLargestPeer_evicts_the_account_holding_the_most_one_at_a_time()
    {
        var evicted = new List<string>();
        var budget = new MemoryBudget(1000, MemoryBudgetPolicy.DropLargestPeer);
        var done = new SemaphoreSlim(0);
        MemoryAccount Open(string name) => budget.Open(() =>
        {
            lock (evicted)
            {
                evicted.Add(name);
            }

            done.Release();
        });
        MemoryAccount small = Open("small");
        MemoryAccount large = Open("large");
        MemoryAccount unevictable = budget.Open(); // no callback: never chosen
        small.Charge(200);
        large.Charge(500);
        unevictable.Charge(900);

        Assert.Same(large, budget.OnExhausted());
        Assert.True(await done.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(budget.OnExhausted()); // the first eviction has not given its bytes back yet
        large.Close();
        Assert.True(budget.HasRoom is false);
        Assert.Same(small, budget.OnExhausted());
        Assert.True(await done.WaitAsync(TimeSpan.FromSeconds(10)));
        small.Close();
        Assert.Equal(["large", "small"], evicted);
        Assert.Equal(2, budget.EvictedCount);
        Assert.Null(budget.OnExhausted()); // only the unevictable account is left
    }

    [Fact]
    public async Task WhenRoomAsync_completes_once_enough_is_released()
    {
        var budget = new MemoryBudget(100, MemoryBudgetPolicy.Refuse);
        MemoryAccount a = budget.Open();
        Assert.True(budget.WhenRoomAsync().IsCompleted);
        a.Charge(150);
        Task room = budget.WhenRoomAsync();
        Assert.False(room.IsCompleted);
        a.Release(40);
        Assert.False(room.IsCompleted); // 110 held: still spent
        a.Release(20);
        await room.WaitAsync(TimeSpan.FromSeconds(10));
        a.Charge(100);
        Task again = budget.WhenRoomAsync();
        a.Close();
        await again.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
