// Hello world: the floor `island vm list` is measured against (host-agent/bench/Stratos.Island.Agent.Bench).
System.Console.WriteLine("hello");
