using PeerKit.Serialization;

namespace PeerKit.Links.Udp;

/// <summary>
/// The frames waiting to be sent, one lane per delivery class, and how they go into packets (quic-go's packet packer
/// with its framer): frames are cut to the packet size (whole, or fragments of a chunk size that is a multiple of
/// <see cref="UdpWire.FragmentGranule"/>), lanes take turns, lost chunks of a reliable lane go before new frames, a
/// reliable frame starts only within the reorder window and the peer's flow credit. Acknowledged chunks finish
/// frames; lost ones are queued again. Owned by one link and used under its lock.
/// </summary>
internal sealed class PacketPacker
{
    /// <summary>Delivery classes, each a lane: <see cref="Reliability"/> values 0 to 3.</summary>
    public const int LaneCount = 4;

    private readonly ReliableSendLane[] _reliable = [new(), new()];
    private readonly UnreliableSendLane[] _unreliable = [new((int)Reliability.Unreliable), new((int)Reliability.UnreliableSequenced)];
    private readonly Stack<OutMessage> _messagePool = new();
    private int _messagePoolLow; // the fewest messages the pool held since the last TrimIdle
    private readonly FramePool _buffers;
    private readonly long _sendQueueLimit;
    private readonly long _unreliableQueueLimit;
    private readonly ulong _reliableWindow;
    private int _rrLane;
    private int _wholeMax;
    private int _chunkSize;

    /// <param name="buffers">Where frames larger than <see cref="OutMessage.SmallCapacity"/> are kept.</param>
    /// <param name="options">The queue limits and the reorder window.</param>
    public PacketPacker(FramePool buffers, UdpLinkOptions options)
    {
        _buffers = buffers;
        _sendQueueLimit = options.SendQueueLimit;
        _unreliableQueueLimit = options.UnreliableQueueLimit;
        _reliableWindow = (ulong)options.ReliableWindow;
    }

    /// <summary>Room for frames in a packet of the current size.</summary>
    public int PayloadCapacity { get; private set; }

    /// <summary>The largest frame sent whole in a packet of the current size.</summary>
    public int WholeMax => _wholeMax;

    /// <summary>The largest frame sent whole in a packet of the base size: unreliable frames up to it queue as bytes.</summary>
    public int BaseWholeMax { get; private set; }

    /// <summary>Unreliable frames dropped because their lane was full.</summary>
    public long UnreliableDropped { get; private set; }

    /// <summary>Sets the base packet size (once, when the link is established) and the current one to it.</summary>
    public void SetBaseSize(int size)
    {
        SetPacketSize(size);
        BaseWholeMax = _wholeMax;
    }

    /// <summary>Sets the largest packet sent, and with it the room for frames and the size new frames are cut to.</summary>
    public void SetPacketSize(int size)
    {
        PayloadCapacity = size - UdpWire.PacketOverhead;
        _wholeMax = PayloadCapacity - UdpWire.AckBudget - UdpWire.MessageHeaderMax;
        // A multiple of the granule, so the receiver can combine fragments of one frame cut to different sizes.
        _chunkSize = (PayloadCapacity - UdpWire.AckBudget - UdpWire.FragmentHeaderMax) / UdpWire.FragmentGranule * UdpWire.FragmentGranule;
    }

    /// <summary>Bytes queued (not yet acknowledged, for a reliable class) in the lane of <paramref name="reliability"/>.</summary>
    public long QueuedBytes(Reliability reliability) => (int)reliability < 2 ? _reliable[(int)reliability].QueuedBytes : _unreliable[(int)reliability - 2].QueuedBytes;

    /// <summary>Reliable frames not yet acknowledged.</summary>
    public int ReliableQueuedCount => _reliable[0].QueuedCount + _reliable[1].QueuedCount;

    /// <summary>No frame waits for its first transmission (reliable frames being resent do not count).</summary>
    public bool LanesEmpty =>
        _reliable[0].Unsent.Count == 0 && _reliable[1].Unsent.Count == 0
        && _unreliable[0].Count == 0 && _unreliable[1].Count == 0;

    /// <summary>When the oldest frame still queued was queued (<see cref="UdpClock.Coarse"/>; <see cref="long.MaxValue"/> for none).</summary>
    public long OldestEnqueuedAt()
    {
        long oldest = long.MaxValue;
        foreach (ReliableSendLane lane in _reliable)
        {
            TrimInflight(lane);
            if (lane.Inflight.Count > 0)
            {
                oldest = Math.Min(oldest, lane.Inflight.Peek().EnqueuedAt);
            }

            if (lane.Unsent.Count > 0)
            {
                oldest = Math.Min(oldest, lane.Unsent.Peek().EnqueuedAt);
            }
        }

        foreach (UnreliableSendLane lane in _unreliable)
        {
            oldest = Math.Min(oldest, lane.OldestEnqueuedAt);
        }

        return oldest;
    }

    /// <summary>
    /// Queues a frame of class <paramref name="cls"/> (copied). False when a reliable lane is full (the caller waits),
    /// or an unreliable one is (the frame is dropped and counted).
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cls">Its delivery class.</param>
    /// <param name="now">For the frame's age (<see cref="UdpClock.Coarse"/>).</param>
    /// <param name="owned">The array (from <see cref="System.Buffers.ArrayPool{T}.Shared"/>) <paramref name="frame"/>
    /// starts at, handed over with it: a reliable frame larger than <see cref="OutMessage.SmallCapacity"/> is kept in
    /// it instead of a copy; otherwise it is returned to the pool once copied. Stays the caller's when this returns false.</param>
    public bool TryEnqueue(ReadOnlySpan<byte> frame, int cls, long now, byte[]? owned = null)
    {
        if (cls < 2)
        {
            ReliableSendLane lane = _reliable[cls];
            // Each frame counts LinkInbox.FrameCost more than its bytes, so empty frames cannot queue without bound.
            if (lane.QueuedCount > 0 && lane.QueuedBytes + ((lane.QueuedCount + 1L) * LinkInbox.FrameCost) + frame.Length > _sendQueueLimit)
            {
                return false;
            }

            OutMessage message = RentMessage();
            if (owned is not null && frame.Length > OutMessage.SmallCapacity)
            {
                message.InitOwned(owned, frame.Length, lane.NextSeq++, cls, _wholeMax, _chunkSize, now);
                owned = null;
            }
            else
            {
                message.Init(frame, lane.NextSeq++, cls, _wholeMax, _chunkSize, now);
            }

            ReturnCopied(owned);
            lane.Unsent.Enqueue(message);
            lane.QueuedBytes += frame.Length;
            lane.QueuedCount++;
            return true;
        }

        UnreliableSendLane unreliable = _unreliable[cls - 2];
        if (unreliable.Count > 0 && unreliable.QueuedBytes + ((unreliable.Count + 1L) * LinkInbox.FrameCost) + frame.Length > _unreliableQueueLimit)
        {
            UnreliableDropped++;
            return false;
        }

        if (frame.Length <= BaseWholeMax)
        {
            unreliable.Whole.Enqueue(frame, unreliable.NextSeq++, now); // fits whole in any packet the link sends
        }
        else
        {
            OutMessage m = RentMessage();
            m.Init(frame, unreliable.NextSeq++, cls, _wholeMax, _chunkSize, now);
            unreliable.Pending.Enqueue(m);
        }

        unreliable.QueuedBytes += frame.Length;
        ReturnCopied(owned);
        return true;
    }

    private static void ReturnCopied(byte[]? owned)
    {
        if (owned is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(owned);
        }
    }

    /// <summary>Whether a packet would carry a frame: a chunk to resend, a reliable frame within the window and the
    /// credit, or an unreliable frame.</summary>
    public bool HasSendable(FlowCredit credit)
    {
        foreach (ReliableSendLane lane in _reliable)
        {
            if (lane.Retransmit.Count > 0)
            {
                return true;
            }

            if (lane.Unsent.Count > 0 && lane.Unsent.Peek() is var next && (next.NextChunk > 0 || credit.CanStart)
                && next.Seq < OldestUnfinished(lane) + _reliableWindow)
            {
                return true;
            }
        }

        return _unreliable[0].Count > 0 || _unreliable[1].Count > 0;
    }

    /// <summary>
    /// Writes frames into <paramref name="payload"/> from <paramref name="pos"/>, the lanes taking turns at going
    /// first; the reliable chunks written are recorded in <paramref name="packet"/>.
    /// </summary>
    /// <returns>Whether any frame was written (the packet is ack-eliciting).</returns>
    public bool Fill(Span<byte> payload, ref int pos, SentPacket packet, FlowCredit credit)
    {
        int start = _rrLane;
        _rrLane = (_rrLane + 1) % LaneCount;
        bool wrote = false;
        for (int k = 0; k < LaneCount && payload.Length - pos > 8; k++)
        {
            int cls = (start + k) % LaneCount;
            wrote |= cls < 2 ? FillReliable(_reliable[cls], payload, ref pos, packet, credit) : FillUnreliable(_unreliable[cls - 2], payload, ref pos);
        }

        return wrote;
    }

    /// <summary>A packet was acknowledged: marks its chunks, finishing the frames they complete.</summary>
    /// <returns>Whether a frame finished (its lane has room again).</returns>
    public bool OnPacketAcked(SentPacket packet)
    {
        bool roomFreed = false;
        foreach (ChunkRef chunk in packet.Chunks)
        {
            OutMessage m = chunk.Message;
            if (m.Generation != chunk.Generation || m.Done || !m.MarkAcked(chunk.Chunk) || m.AckedChunks != m.ChunkCount)
            {
                continue;
            }

            m.Done = true;
            ReliableSendLane lane = _reliable[m.Class];
            lane.QueuedBytes -= m.Length;
            lane.QueuedCount--;
            m.ReleaseBuffers();
            roomFreed = true;
        }

        return roomFreed;
    }

    /// <summary>A packet was lost (or must be resent): its chunks not yet acknowledged go to their lanes' retransmission queues.</summary>
    public void OnPacketLost(SentPacket packet)
    {
        foreach (ChunkRef chunk in packet.Chunks)
        {
            if (chunk.IsLive)
            {
                _reliable[chunk.Message.Class].Retransmit.Enqueue(chunk);
            }
        }
    }

    /// <summary>Returns the finished frames at the head of the reliable lanes to the pool.</summary>
    /// <returns>Whether any was.</returns>
    public bool TrimFinished()
    {
        bool freed = false;
        foreach (ReliableSendLane lane in _reliable)
        {
            freed |= TrimInflight(lane);
        }

        return freed;
    }

    /// <summary>Messages an idle link keeps for reuse (<see cref="TrimIdle"/>).</summary>
    public const int MessagePoolKeep = 4;

    /// <summary>
    /// Gives back what a burst left (the link's timer, once a second): the unreliable lanes' byte buffers, the message
    /// records past <see cref="MessagePoolKeep"/> after a period that lent at most that many, and the arrays of the
    /// lanes' queues that are empty.
    /// </summary>
    public void TrimIdle()
    {
        foreach (UnreliableSendLane lane in _unreliable)
        {
            lane.Whole.Trim();
            if (lane.Pending.Count == 0)
            {
                lane.Pending.TrimExcess();
            }
        }

        foreach (ReliableSendLane lane in _reliable)
        {
            TrimInflight(lane);
            lane.TrimExcess();
        }

        // Only after a quiet period (the pool never lent more than MessagePoolKeep messages in it): a busy link keeps
        // what it uses, so its steady state allocates nothing.
        int surplus = _messagePool.Count - _messagePoolLow <= MessagePoolKeep ? _messagePool.Count - MessagePoolKeep : 0;
        if (surplus > 0)
        {
            for (int i = 0; i < surplus; i++)
            {
                _messagePool.Pop();
            }

            _messagePool.TrimExcess();
        }

        _messagePoolLow = _messagePool.Count;
    }

    /// <summary>Message records pooled for reuse (for tests).</summary>
    internal int PooledMessages => _messagePool.Count;

    /// <summary>
    /// After the packet size went down: frames partly or wholly sent with chunks that no longer fit a packet are cut
    /// again, and whatever of them is not acknowledged is queued for retransmission in the new cut (frames not started
    /// are cut again when they start). Without this a chunk larger than a packet could never be resent and its lane
    /// would stall.
    /// </summary>
    public void RecutStarted()
    {
        foreach (ReliableSendLane lane in _reliable)
        {
            foreach (OutMessage m in lane.Inflight)
            {
                if (!m.Done && !m.Fits(_wholeMax, _chunkSize))
                {
                    m.Rechunk(_wholeMax, _chunkSize);
                    m.NextChunk = m.ChunkCount;
                    QueueUnacked(lane, m, m.ChunkCount);
                }
            }

            foreach (OutMessage m in lane.Unsent)
            {
                if (m.NextChunk > 0 && !m.Fits(_wholeMax, _chunkSize))
                {
                    long sent = Math.Min((long)m.NextChunk * m.ChunkSize, m.Length);
                    m.Rechunk(_wholeMax, _chunkSize);
                    // The chunks wholly sent before are resent from the queue; the rest continue as new. At least one
                    // counts as started, so the frame's flow-control cost is not counted again.
                    m.NextChunk = (int)Math.Clamp(sent / m.ChunkSize, 1, m.ChunkCount - 1);
                    QueueUnacked(lane, m, m.NextChunk);
                }
            }
        }

        foreach (UnreliableSendLane lane in _unreliable)
        {
            foreach (OutMessage m in lane.Pending)
            {
                if (m.NextChunk > 0 && !m.Fits(_wholeMax, _chunkSize))
                {
                    // Never resent: continue from the first new chunk not wholly sent (a few bytes go twice).
                    long sent = Math.Min((long)m.NextChunk * m.ChunkSize, m.Length);
                    m.Rechunk(_wholeMax, _chunkSize);
                    m.NextChunk = (int)Math.Min(sent / m.ChunkSize, m.ChunkCount - 1);
                }
            }
        }

        static void QueueUnacked(ReliableSendLane lane, OutMessage m, int count)
        {
            for (int chunk = 0; chunk < count; chunk++)
            {
                if (!m.IsAcked(chunk))
                {
                    lane.Retransmit.Enqueue(new ChunkRef(m, m.Generation, chunk));
                }
            }
        }
    }

    /// <summary>Drops every frame queued and returns their buffers (the link closed).</summary>
    public void Release()
    {
        foreach (ReliableSendLane lane in _reliable)
        {
            foreach (OutMessage m in lane.Unsent)
            {
                m.ReleaseBuffers();
            }

            foreach (OutMessage m in lane.Inflight)
            {
                m.ReleaseBuffers();
            }

            lane.Unsent.Clear();
            lane.Inflight.Clear();
            lane.Retransmit.Clear();
            lane.QueuedBytes = 0;
            lane.QueuedCount = 0;
        }

        foreach (UnreliableSendLane lane in _unreliable)
        {
            foreach (OutMessage m in lane.Pending)
            {
                m.ReleaseBuffers();
            }

            lane.Pending.Clear();
            lane.Whole.Clear();
            lane.QueuedBytes = 0;
        }
    }

    /// <summary>The size of a MESSAGE frame carrying a whole frame of <paramref name="length"/> bytes.</summary>
    public static int WholeFrameSize(ulong seq, int length) => 1 + WireSize.Varint64(seq) + WireSize.Varint64((ulong)length) + length;

    /// <summary>Writes a MESSAGE frame (type with the class, sequence number, length, bytes); returns its size.</summary>
    public static int WriteWhole(Span<byte> destination, int cls, ulong seq, ReadOnlySpan<byte> frame)
    {
        int pos = 0;
        destination[pos++] = (byte)(UdpWire.FrameMessage | cls);
        pos += Varint.Write(destination[pos..], seq);
        pos += Varint.Write(destination[pos..], (ulong)frame.Length);
        frame.CopyTo(destination[pos..]);
        return pos + frame.Length;
    }

    private static int ChunkFrameSize(OutMessage m, int chunk) => m.Whole
        ? WholeFrameSize(m.Seq, m.Length)
        : 1 + WireSize.Varint64(m.Seq) + WireSize.Varint64((ulong)m.Length) + WireSize.Varint64((ulong)m.ChunkSize) + WireSize.Varint64((ulong)chunk) + m.ChunkLength(chunk);

    private static int WriteChunk(Span<byte> destination, OutMessage m, int chunk)
    {
        if (m.Whole)
        {
            return WriteWhole(destination, m.Class, m.Seq, m.Buffer.AsSpan(0, m.Length));
        }

        int pos = 0;
        destination[pos++] = (byte)(UdpWire.FrameFragment | m.Class);
        pos += Varint.Write(destination[pos..], m.Seq);
        pos += Varint.Write(destination[pos..], (ulong)m.Length);
        pos += Varint.Write(destination[pos..], (ulong)m.ChunkSize);
        pos += Varint.Write(destination[pos..], (ulong)chunk);
        int length = m.ChunkLength(chunk);
        m.Buffer.AsSpan(chunk * m.ChunkSize, length).CopyTo(destination[pos..]);
        return pos + length;
    }

    private bool FillReliable(ReliableSendLane lane, Span<byte> payload, ref int pos, SentPacket packet, FlowCredit credit)
    {
        bool wrote = false;
        while (lane.Retransmit.Count > 0)
        {
            ChunkRef chunk = lane.Retransmit.Peek();
            if (!chunk.IsLive)
            {
                lane.Retransmit.Dequeue();
                continue;
            }

            if (ChunkFrameSize(chunk.Message, chunk.Chunk) > payload.Length - pos)
            {
                return wrote;
            }

            pos += WriteChunk(payload[pos..], chunk.Message, chunk.Chunk);
            packet.Chunks.Add(chunk);
            lane.Retransmit.Dequeue();
            wrote = true;
        }

        ulong limit = OldestUnfinished(lane) + _reliableWindow;
        while (lane.Unsent.Count > 0)
        {
            OutMessage message = lane.Unsent.Peek();
            if (message.NextChunk == 0 && message.ChunkedFor != _chunkSize && !(message.Whole && message.Length <= _wholeMax))
            {
                message.Rechunk(_wholeMax, _chunkSize); // cut when the packet size was another: cut for this one
            }

            if (message.Seq >= limit || ChunkFrameSize(message, message.NextChunk) > payload.Length - pos)
            {
                return wrote;
            }

            // Flow control: a new frame starts only while the receiver's credit lasts; one started is finished.
            if (message.NextChunk == 0 && !credit.TryStart(message.Length))
            {
                return wrote;
            }

            pos += WriteChunk(payload[pos..], message, message.NextChunk);
            packet.Chunks.Add(new ChunkRef(message, message.Generation, message.NextChunk));
            wrote = true;
            if (++message.NextChunk == message.ChunkCount)
            {
                lane.Unsent.Dequeue();
                lane.Inflight.Enqueue(message);
            }
        }

        return wrote;
    }

    private bool FillUnreliable(UnreliableSendLane lane, Span<byte> payload, ref int pos)
    {
        bool wrote = false;
        while (lane.Count > 0)
        {
            if (lane.Whole.Count > 0 && (lane.Pending.Count == 0 || lane.Whole.PeekSeq < lane.Pending.Peek().Seq))
            {
                ulong seq = lane.Whole.PeekSeq;
                ReadOnlySpan<byte> frame = lane.Whole.PeekFrame;
                if (WholeFrameSize(seq, frame.Length) > payload.Length - pos)
                {
                    return wrote;
                }

                pos += WriteWhole(payload[pos..], lane.Class, seq, frame);
                lane.QueuedBytes -= frame.Length;
                lane.Whole.Dequeue();
                wrote = true;
                continue;
            }

            OutMessage message = lane.Pending.Peek();
            if (message.NextChunk == 0 && message.ChunkedFor != _chunkSize && !(message.Whole && message.Length <= _wholeMax))
            {
                message.Rechunk(_wholeMax, _chunkSize);
            }

            if (ChunkFrameSize(message, message.NextChunk) > payload.Length - pos)
            {
                return wrote;
            }

            pos += WriteChunk(payload[pos..], message, message.NextChunk);
            wrote = true;
            if (++message.NextChunk == message.ChunkCount)
            {
                lane.Pending.Dequeue();
                lane.QueuedBytes -= message.Length;
                ReturnMessage(message);
            }
        }

        return wrote;
    }

    private ulong OldestUnfinished(ReliableSendLane lane)
    {
        TrimInflight(lane);
        return lane.Inflight.Count > 0 ? lane.Inflight.Peek().Seq : lane.Unsent.Count > 0 ? lane.Unsent.Peek().Seq : lane.NextSeq;
    }

    private bool TrimInflight(ReliableSendLane lane)
    {
        bool any = false;
        while (lane.Inflight.Count > 0 && lane.Inflight.Peek().Done)
        {
            ReturnMessage(lane.Inflight.Dequeue());
            any = true;
        }

        return any;
    }

    private OutMessage RentMessage()
    {
        if (_messagePool.Count == 0)
        {
            _messagePoolLow = 0;
            return new OutMessage(_buffers);
        }

        OutMessage message = _messagePool.Pop();
        _messagePoolLow = Math.Min(_messagePoolLow, _messagePool.Count);
        return message;
    }

    private void ReturnMessage(OutMessage message)
    {
        message.ReleaseBuffers();
        message.Generation++;
        if (_messagePool.Count < 16384)
        {
            _messagePool.Push(message);
        }
    }
}
