// The tests start real processes on 2 shared cores: one class at a time.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
