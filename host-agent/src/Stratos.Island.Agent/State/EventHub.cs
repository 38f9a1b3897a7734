// Fan-out of the island's live events to WatchEvents streams. Each subscriber gets a bounded queue;
// publishing never blocks the link thread: a subscriber that falls SubscriberCapacity events behind
// is ended with an error telling it where to resume (its last sequence), instead of slowing the link.
using System;
using System.Collections.Generic;
using System.Threading.Channels;
using Stratos.Island.Protocol.Common.V1;
using Stratos.Island.Protocol.Link.V1;

namespace Stratos.Island.Agent.State;

public sealed class EventHub
{
    public const int SubscriberCapacity = 4096;

    private readonly object _lock = new();
    private readonly List<Channel<Event>> _subscribers = new();

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>A new subscription; dispose it to leave.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<Event>(new BoundedChannelOptions(SubscriberCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        lock (_lock)
        {
            _subscribers.Add(channel);
        }

        return new Subscription(this, channel);
    }

    /// <summary>Hands an event to every subscriber without waiting.</summary>
    public void Publish(Event record)
    {
        lock (_lock)
        {
            for (int i = _subscribers.Count - 1; i >= 0; i--)
            {
                Channel<Event> channel = _subscribers[i];
                if (!channel.Writer.TryWrite(record))
                {
                    channel.Writer.TryComplete(new AgentException(ErrorCode.ResourceExhausted,
                        $"event stream fell {SubscriberCapacity} events behind; watch again from sequence {record.Sequence}"));
                    _subscribers.RemoveAt(i);
                }
            }
        }
    }

    private void Remove(Channel<Event> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    public sealed class Subscription : IDisposable
    {
        private readonly EventHub _hub;
        private readonly Channel<Event> _channel;

        internal Subscription(EventHub hub, Channel<Event> channel)
        {
            _hub = hub;
            _channel = channel;
        }

        public ChannelReader<Event> Reader => _channel.Reader;

        public void Dispose() => _hub.Remove(_channel);
    }
}
