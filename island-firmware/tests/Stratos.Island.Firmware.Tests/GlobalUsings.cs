global using Stratos.Island.Firmware.Tests.Fakes;
